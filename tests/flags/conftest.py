"""A real Unleash server for the flag tests, on loopback and on its own PostgreSQL database."""

from __future__ import annotations

import shutil
import uuid

import pytest

from unleash_server import ADMIN_TOKEN, ENVIRONMENT, SERVER_SCRIPT, UnleashServer


@pytest.fixture(scope="session")
def unleash_server(postgres_admin_url, tmp_path_factory):
    """unleash-server on a free loopback port with known admin and client tokens, for the whole session."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if shutil.which("node") is None or not SERVER_SCRIPT.exists():
        pytest.fail(f"unleash-server is not installed at {SERVER_SCRIPT}; run scripts/setup, which installs it with npm ci from package-lock.json.", pytrace=False)

    name = f"olap_unleash_{uuid.uuid4().hex[:12]}"
    engine = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin_url = make_url(postgres_admin_url)
    database_url = make_url("postgres://").set(username=admin_url.username, password=admin_url.password, host=admin_url.host, port=admin_url.port or 5432, database=name)

    server = UnleashServer(database_url.render_as_string(hide_password=False), tmp_path_factory.mktemp("unleash") / "unleash.log")
    try:
        server.start()
        yield server
    finally:
        server.stop()
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture
def unleash_admin(unleash_server):
    from olap.plugins.rollout.unleash_admin import UnleashAdmin

    admin = UnleashAdmin(unleash_server.api_url, ADMIN_TOKEN, environment=ENVIRONMENT)
    yield admin
    admin.close()


@pytest.fixture
def declared():
    from olap.core.plugins import build_registry, create_plugin_manager

    return build_registry(create_plugin_manager()).flags
