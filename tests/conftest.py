"""Shared fixtures: one chDB folder per test process, a fresh ClickHouse database per test."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from olap.core.clickhouse import ClickHouse
from olap.core.config import load_config
from olap.core.migrations import Migrator

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def chdb_path(tmp_path_factory) -> Path:
    """Folder of the one embedded ClickHouse engine this test process may open."""
    return tmp_path_factory.mktemp("clickhouse")


@pytest.fixture
def olap_env(tmp_path, chdb_path) -> dict[str, str]:
    """Settings of a throwaway instance: its own home folder and ClickHouse database."""
    return {
        "OLAP_HOME": str(tmp_path / "home"),
        "OLAP_ENV": "test",
        "CLICKHOUSE_URL": f"chdb://{chdb_path}",
        "CLICKHOUSE_DATABASE": f"t_{uuid.uuid4().hex[:12]}",
        "SECRET_KEY": "test-secret",
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
