"""Deployment files: the compose stack as YAML, the Prometheus rules under promtool, the ClickHouse users SQL."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from olap.core.config import KNOWN_NAMES

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
PROMTOOL_HINT = "promtool is not installed; install Debian's prometheus package (apt-get install -y prometheus), which ships it."


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


@pytest.fixture(scope="module")
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail(PROMTOOL_HINT, pytrace=False)
    return path


def test_compose_has_every_service(compose):
    assert set(compose["services"]) == {"postgres", "redis", "clickhouse", "unleash", "migrate", "web", "worker", "prometheus"}
    assert compose["services"]["web"]["command"][0] == "gunicorn"
    assert compose["services"]["worker"]["command"] == ["olap", "worker"]
    assert compose["services"]["migrate"]["command"] == ["olap", "migrate", "up"]


def test_compose_sets_only_known_settings(compose):
    settings = compose["x-olap-environment"]

    unknown = sorted(name for name in settings if name not in KNOWN_NAMES)

    assert unknown == [], f"compose.yaml sets settings that olap does not read: {unknown}"


def test_compose_mounts_existing_files(compose):
    sources = [volume.split(":")[0] for service in compose["services"].values() for volume in service.get("volumes", []) if volume.startswith(".")]

    missing = [source for source in sources if not (DEPLOY / source).exists() and not source.endswith("metrics-token")]

    assert sources
    assert missing == []


def test_compose_ports_bind_loopback(compose):
    ports = [port for service in compose["services"].values() for port in service.get("ports", [])]

    assert ports
    assert all(port.startswith("127.0.0.1:") for port in ports)


def test_alert_rules_pass_promtool(promtool):
    checked = subprocess.run([promtool, "check", "rules", str(DEPLOY / "prometheus" / "olap-rules.yml")], capture_output=True, text=True, timeout=60)
    tested = subprocess.run([promtool, "test", "rules", str(DEPLOY / "prometheus" / "olap-rules.test.yml")], capture_output=True, text=True, timeout=60)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_prometheus_config_passes_promtool(promtool, tmp_path):
    for name in ("prometheus.yml", "olap-rules.yml"):
        shutil.copy(DEPLOY / "prometheus" / name, tmp_path / name)
    (tmp_path / "metrics-token").write_text("token\n")

    checked = subprocess.run([promtool, "check", "config", str(tmp_path / "prometheus.yml")], capture_output=True, text=True, timeout=60)

    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_alert_has_runbook_section():
    rules = yaml.safe_load((DEPLOY / "prometheus" / "olap-rules.yml").read_text())
    runbook = (DEPLOY.parent / "docs" / "runbook.md").read_text()

    alerts = [rule["alert"] for group in rules["groups"] for rule in group["rules"]]

    assert alerts
    assert [alert for alert in alerts if f"### {alert}" not in runbook] == []


def test_clickhouse_users_keep_placeholder_passwords():
    sql = (DEPLOY / "clickhouse" / "users.sql").read_text()

    users = re.findall(r"CREATE USER IF NOT EXISTS (\w+) IDENTIFIED WITH sha256_password BY '([^']*)'", sql)
    etl_grants = re.findall(r"GRANT (.+) ON (\S+) TO xapi_etl;", sql)

    assert [name for name, _password in users] == ["olap_admin", "xapi_etl"]
    assert {password for _name, password in users} == {"CHANGE-ME"}
    assert etl_grants == [("INSERT", "olap.raw_events"), ("INSERT", "olap.raw_events_rejected"), ("SELECT(event_id, payload_hash)", "olap.raw_events")]
