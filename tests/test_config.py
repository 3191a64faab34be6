"""Settings: defaults, invalid values, ClickHouse URLs and the documented table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from olap.core.config import SETTINGS, load_config, parse_clickhouse_url
from olap.core.errors import ConfigError


def test_defaults_use_instance_folder(tmp_path):
    config = load_config(environ={"OLAP_HOME": str(tmp_path)})

    assert config.clickhouse.kind == "chdb"
    assert config.clickhouse.path == str(tmp_path / "clickhouse")
    assert config.clickhouse.database == "olap"
    assert config.clickhouse_admin == config.clickhouse
    assert config.database_url == f"sqlite:///{tmp_path / 'olap.sqlite3'}"
    assert config.flags_file == tmp_path / "flags.json"
    assert config["XAPI_ETL_MODE"] == "direct"
    assert config["REDIS_URL"] == ""


def test_server_urls_keep_both_credentials():
    config = load_config(environ={
        "CLICKHOUSE_URL": "https://reader:r%40ss@ch.example.edu:8443/analytics",
        "CLICKHOUSE_ADMIN_URL": "https://admin:secret@ch.example.edu:8443/analytics",
    })

    assert (config.clickhouse.host, config.clickhouse.port, config.clickhouse.secure) == ("ch.example.edu", 8443, True)
    assert (config.clickhouse.username, config.clickhouse.password) == ("reader", "r@ss")
    assert (config.clickhouse_admin.username, config.clickhouse_admin.password) == ("admin", "secret")
    assert config.clickhouse.database == "analytics"
    assert "secret" not in config.clickhouse_admin.describe()
    assert "secret" not in repr(config.clickhouse_admin)


def test_http_url_defaults_port_and_database():
    target = parse_clickhouse_url("CLICKHOUSE_URL", "http://ch.local", "olap")

    assert (target.port, target.database, target.username) == (8123, "olap", "default")


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"OLAP_HOMME": "/tmp"}, "Unknown setting OLAP_HOMME"),
        ({"XAPI_ETL_MODE": "kafka"}, "XAPI_ETL_MODE='kafka' is not a known value; use one of: direct, s3"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL='LOUD' is not a known value"),
        ({"OLAP_PORT": "eighty"}, "OLAP_PORT='eighty' is not a whole number"),
        ({"OLAP_WORKER_THREADS": "-1"}, "OLAP_WORKER_THREADS='-1' is below 0"),
        ({"CLICKHOUSE_URL": "ftp://ch"}, "CLICKHOUSE_URL='ftp://ch' has an unsupported scheme"),
        ({"CLICKHOUSE_URL": "http://:8123"}, "names no host"),
        ({"CLICKHOUSE_URL": "http://ch:port"}, "has an invalid port"),
        ({"CLICKHOUSE_URL": "chdb:///a", "CLICKHOUSE_ADMIN_URL": "chdb:///b"}, "name different chdb folders"),
        ({"CLICKHOUSE_URL": "chdb:///a", "CLICKHOUSE_ADMIN_URL": "http://ch:8123"}, "different kinds of target"),
        ({"OLAP_LOGIN_SECURE_COOKIES": "maybe"}, "is not a boolean"),
        ({"OLAP_ENV": "staging"}, "OLAP_ENV='staging' is not a known value"),
    ],
    ids=["unknown-name", "etl-mode", "log-level", "port", "threads", "scheme", "no-host", "bad-port", "two-folders", "two-kinds", "boolean", "environment"],
)
def test_invalid_settings_name_value(environ, message):
    with pytest.raises(ConfigError) as caught:
        load_config(environ=environ)

    assert message in str(caught.value)


def test_production_requires_secret_key(tmp_path):
    config = load_config(environ={"OLAP_HOME": str(tmp_path), "OLAP_ENV": "production"})

    with pytest.raises(ConfigError, match="SECRET_KEY is empty"):
        config.secret_key()


def test_generated_secret_key_is_kept(tmp_path):
    config = load_config(environ={"OLAP_HOME": str(tmp_path)})

    first = config.secret_key()

    assert len(first) == 64
    assert config.secret_key() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_configuration_doc_lists_every_setting():
    doc = (Path(__file__).parents[1] / "docs" / "configuration.md").read_text()
    documented = re.findall(r"^\| `([A-Z_0-9]+)` \|", doc, flags=re.MULTILINE)

    assert documented == [setting.name for setting in SETTINGS]
