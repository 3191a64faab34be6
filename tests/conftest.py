"""Shared fixtures: one chDB folder per test process, a fresh ClickHouse database per test."""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import uuid
from pathlib import Path

import pytest

from olap.core.clickhouse import ClickHouse
from olap.core.config import load_config
from olap.core.migrations import Migrator
from support import install_distribution

EXAMPLE_PLUGIN = Path(__file__).parent / "example_plugin"
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def chdb_path(tmp_path_factory) -> Path:
    """Folder of the one embedded ClickHouse engine this test process may open."""
    return tmp_path_factory.mktemp("clickhouse")


@pytest.fixture
def olap_env(tmp_path, chdb_path, monkeypatch) -> dict[str, str]:
    """Settings of a throwaway instance: its own home folder and ClickHouse database.

    Settings exported in the developer's shell are removed, so they cannot reach a test.
    """
    from olap.core.config import KNOWN_NAMES

    for name in list(os.environ):
        if name in KNOWN_NAMES or name.startswith("OLAP_"):
            monkeypatch.delenv(name)
    return {
        "OLAP_HOME": str(tmp_path / "home"),
        "OLAP_ENV": "test",
        "CLICKHOUSE_URL": f"chdb://{chdb_path}",
        "CLICKHOUSE_DATABASE": f"t_{uuid.uuid4().hex[:12]}",
        "SECRET_KEY": "test-secret",
        "LOG_LEVEL": "WARNING",
    }


@pytest.fixture
def config(olap_env):
    return load_config(environ={}, overrides=olap_env)


@pytest.fixture
def clickhouse(config):
    """Admin ClickHouse connection to a freshly migrated database, dropped after the test."""
    migrator = Migrator(config.clickhouse_admin)
    migrator.up()
    migrator.close()
    store = ClickHouse(config.clickhouse_admin)
    yield store
    store.command(f"DROP DATABASE IF EXISTS `{config.clickhouse.database}` SYNC")
    store.close()


@pytest.fixture
def shared_data() -> Path:
    """Folder of the shared xAPI samples; tests that need it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared xAPI samples not found at {SHARED_DATA}; they sit beside the project in CI and development checkouts")
    return SHARED_DATA


# Metadata database: every test that takes `database_url` runs on SQLite and on PostgreSQL.

POSTGRES_HINT = (
    "PostgreSQL is not reachable at {url}; start it with "
    "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, "
    "or run the tests through scripts/test, which starts a throwaway server."
)
REDIS_HINT = (
    "Redis is not reachable at {url}; start it with "
    "`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no`, "
    "or run the tests through scripts/test, which starts a throwaway server."
)


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    import os

    from sqlalchemy import create_engine, text

    url = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as err:
        pytest.fail(POSTGRES_HINT.format(url=url) + f" ({err.__class__.__name__})", pytrace=False)
    finally:
        engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """URL of an empty metadata database, on SQLite and then on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'metadata.sqlite3'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = request.getfixturevalue("postgres_admin_url")
    name = f"olap_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture
def redis_url() -> str:
    import os

    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError as err:
        pytest.fail(REDIS_HINT.format(url=url) + f" ({err.__class__.__name__})", pytrace=False)
    return url


@pytest.fixture
def app(olap_env, database_url):
    """The web app on a migrated metadata database, without worker threads."""
    from olap.core.app import create_app

    application = create_app({**olap_env, "DATABASE_URL": database_url}, start_workers=False)
    instance = application.extensions["olap"]
    instance.db.upgrade()
    yield application
    instance.close()


@pytest.fixture
def instance(app):
    return app.extensions["olap"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def seeded(instance):
    """Two projects, three sections and one user of each role; every password is 'password1'."""
    from olap.core.auth import create_user
    from olap.core.models import Project, Section

    session = instance.db.session
    session.add_all([Project(id=318, title="Chemistry"), Project(id=400, title="Physics")])
    session.add_all([
        Section(id=2051, project_id=318, title="Chem A", time_zone="America/New_York"),
        Section(id=2077, project_id=318, title="Chem B", time_zone="Europe/Paris"),
        Section(id=3001, project_id=400, title="Physics A"),
    ])
    session.flush()
    users = {
        "admin": create_user(session, "admin@example.edu", "password1", "admin"),
        "instructor": create_user(session, "teach@example.edu", "password1", "instructor", section_ids=[2051]),
        "author": create_user(session, "author@example.edu", "password1", "author", project_ids=[318]),
    }
    session.commit()
    return users




# Plugins installed by tests as real distributions with entry points.


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A site-packages folder on sys.path for distributions installed by a test."""
    folder = tmp_path / "site-packages"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    importlib.invalidate_caches()
    yield folder
    for name in [module for module in sys.modules if module.startswith(("olap_example_plugin", "olap_clash", "olap_typo"))]:
        del sys.modules[name]
    importlib.invalidate_caches()


@pytest.fixture
def example_plugin(site):
    """The example third-party plugin, installed through an entry point."""
    shutil.copy(EXAMPLE_PLUGIN / "completion_by_page.sql", site / "completion_by_page.sql")
    install_distribution(site, "olap_example_plugin", {"example": "olap_example_plugin"}, {"olap_example_plugin": (EXAMPLE_PLUGIN / "olap_example_plugin.py").read_text()})
    return site


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server on a free loopback port, for the whole test session."""
    import socket

    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(s3_server, monkeypatch):
    """A boto3 S3 client on the loopback server, with the AWS settings pointed at it."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    from olap.core.s3 import s3_client

    return s3_client()


@pytest.fixture
def bucket(s3) -> str:
    """A new, empty bucket on the loopback S3 server."""
    name = f"test-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    return name
