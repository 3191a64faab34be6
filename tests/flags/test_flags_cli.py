"""`olap flags list | stage | rollback | export` on the local flags file, with audit records."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from olap.core.models import AuditEvent
from olap.plugins.rollout.cli import flags_command


@pytest.fixture
def run(app, olap_env, database_url, monkeypatch):
    """Run `olap flags ARGS` against the migrated test instance of `app`."""
    for name, value in {**olap_env, "DATABASE_URL": database_url}.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()

    def invoke(*arguments: str):
        return runner.invoke(flags_command, list(arguments), catch_exceptions=False)

    return invoke


def test_stage_then_rollback_is_listed_and_audited(run, instance):
    staged = run("stage", "instructor_dashboard_analytics", "fifty_percent")
    rolled_back = run("rollback", "instructor_dashboard_analytics")
    listing = run("list")

    events = instance.db.session.scalars(select(AuditEvent).where(AuditEvent.action == "flag.stage").order_by(AuditEvent.id)).all()
    assert staged.exit_code == 0
    assert "off -> fifty_percent" in staged.output
    assert "fifty_percent -> five_percent" in rolled_back.output
    assert "instructor_dashboard_analytics" in listing.output
    assert "five_percent" in listing.output
    assert [(event.target, event.detail["to"], event.actor) for event in events] == [
        ("instructor_dashboard_analytics", "fifty_percent", "cli"),
        ("instructor_dashboard_analytics", "five_percent", "cli"),
    ]


def test_stage_rejects_percent_for_global_flag(run):
    result = CliRunner().invoke(flags_command, ["stage", "clickhouse-olap", "five_percent"])

    assert result.exit_code != 0
    assert "not available for the global flag" in str(result.exception)


def test_export_writes_import_document(run, tmp_path):
    run("stage", "project_dashboard_analytics", "internal_only")
    target = tmp_path / "flags-import.json"

    result = run("export", "--output", str(target))

    document = json.loads(target.read_text())
    enabled = {row["featureName"]: row["enabled"] for row in document["data"]["featureEnvironments"]}
    assert result.exit_code == 0
    assert document["project"] == "default"
    assert enabled["project_dashboard_analytics"] is True
    assert enabled["instructor_dashboard_analytics"] is False
