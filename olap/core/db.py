"""Metadata database: one SQLAlchemy engine per app, sessions per request or job, Alembic migrations."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from olap.core.errors import ConfigError, OlapError

logger = logging.getLogger(__name__)


def _enable_sqlite_foreign_keys(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


class Database:
    """The metadata database of one olap instance."""

    def __init__(self, url: str):
        self.url = url
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine: Engine = create_engine(url, pool_pre_ping=True, future=True)
        except Exception as err:  # an unknown dialect or a malformed URL
            raise ConfigError(f"DATABASE_URL={self._safe_url()!r} is invalid ({err}); use sqlite:///PATH or postgresql+psycopg://user@host/db.") from err
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _enable_sqlite_foreign_keys)
        self.sessions = scoped_session(sessionmaker(bind=self.engine, expire_on_commit=False))

    def _safe_url(self) -> str:
        try:
            from sqlalchemy.engine import make_url

            return make_url(self.url).render_as_string(hide_password=True)
        except Exception:
            return "<unparseable>"

    @property
    def session(self) -> Session:
        """Return the session of the current thread (request or job)."""
        return self.sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Yield a session and commit at the end, rolling back on error."""
        session = self.session
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise

    def remove_session(self) -> None:
        self.sessions.remove()

    def alembic_config(self) -> AlembicConfig:
        config = AlembicConfig()
        config.set_main_option("script_location", str(resources.files("olap") / "migrations"))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        config.attributes["engine"] = self.engine
        return config

    def check_reachable(self) -> None:
        try:
            with self.engine.connect():
                pass
        except OperationalError as err:
            raise OlapError(f"Metadata database {self._safe_url()} is unreachable ({err.orig}); check DATABASE_URL and that the server runs.") from err

    def upgrade(self, revision: str = "head") -> None:
        """Apply Alembic migrations up to `revision`."""
        self.check_reachable()
        command.upgrade(self.alembic_config(), revision)

    def downgrade(self, revision: str) -> None:
        """Revert Alembic migrations down to `revision`."""
        command.downgrade(self.alembic_config(), revision)

    def revision_status(self) -> tuple[str | None, str | None]:
        """Return (current revision, head revision) of the metadata schema."""
        self.check_reachable()
        script = ScriptDirectory.from_config(self.alembic_config())
        with self.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
        return current, script.get_current_head()

    def dispose(self) -> None:
        self.sessions.remove()
        self.engine.dispose()
