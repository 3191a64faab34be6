"""Alembic environment: runs migrations on the engine olap.core.db.Database hands over."""

from alembic import context
from sqlalchemy import create_engine

from olap.core.models import Base
from olap.core.plugins import create_plugin_manager

# Plugins define their own tables on Base; loading them registers those tables here.
create_plugin_manager()

target_metadata = Base.metadata
engine = context.config.attributes.get("engine") or create_engine(context.config.get_main_option("sqlalchemy.url"))

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
