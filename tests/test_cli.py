"""The olap command: migrations, users and imports, and one-sentence errors with exit code 2."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from olap.core.cli import main
from olap.core.migrations import load_migrations


@pytest.fixture
def run(olap_env, database_url, monkeypatch):
    """Run `olap ARGS` with the test instance's settings and return the click result."""
    for name, value in {**olap_env, "DATABASE_URL": database_url}.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()

    def invoke(*arguments: str, input: str | None = None):
        return runner.invoke(main, list(arguments), input=input, catch_exceptions=False)

    yield invoke


def test_migrate_up_then_status_shows_everything_applied(run, olap_env, chdb_path):
    first = run("migrate", "up")
    again = run("migrate", "up")
    status = run("migrate", "status")

    assert first.exit_code == 0
    assert "clickhouse: applied 0001_raw_events" in first.output
    assert "clickhouse: nothing to apply" in again.output
    assert "metadata database: revision" in status.output
    assert "PENDING" not in status.output
    assert "pending" not in status.output
    assert "clickhouse 0001_raw_events: applied" in status.output
    assert "clickhouse 0002_raw_events_rejected: applied" in status.output


def test_migrate_down_reverts_newest(run):
    run("migrate", "up")

    result = run("migrate", "down", "--yes")
    status = run("migrate", "status")

    newest = max(load_migrations(), key=lambda migration: migration.version)
    label = f"{newest.version:04d}_{newest.name}"
    assert result.exit_code == 0
    assert result.output == f"clickhouse: reverted {label}\n"
    assert f"clickhouse {label}: pending" in status.output
    assert status.output.count(": pending") == 1


def test_import_and_users_create(run, tmp_path):
    run("migrate", "up")
    (tmp_path / "projects.json").write_text(json.dumps([{"id": 318, "title": "Chemistry"}]))
    (tmp_path / "sections.csv").write_text("id,project_id,title\n2051,318,Chem A\n")

    projects = run("import", "projects", str(tmp_path / "projects.json"))
    sections = run("import", "sections", str(tmp_path / "sections.csv"))
    admin = run("users", "create", "Admin@Example.edu", "--role", "admin")
    instructor = run("users", "create", "teach@example.edu", "--role", "instructor", "--section", "2051", "--password", "password1")

    assert json.loads(projects.output)["created"] == 1
    assert json.loads(sections.output)["created"] == 1
    assert admin.exit_code == 0
    assert admin.output.startswith("created admin admin@example.edu with password ")
    assert instructor.output == "created instructor teach@example.edu\n"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("users", "create", "x@example.edu", "--role", "instructor", "--section", "999", "--password", "password1"), "error: Section 999 does not exist"),
        (("users", "create", "x@example.edu", "--role", "author", "--password", "password1"), "error: An author needs at least one project"),
        (("import", "sections", "/nonexistent/sections.csv"), "error: Import file /nonexistent/sections.csv does not exist"),
    ],
    ids=["unknown-section", "author-without-project", "missing-file"],
)
def test_bad_input_exits_2_with_one_sentence(run, arguments, message):
    run("migrate", "up")

    result = run(*arguments)

    assert result.exit_code == 2
    assert result.output.startswith(message)
    assert "Traceback" not in result.output


def test_bad_import_row_is_named(run, tmp_path):
    run("migrate", "up")
    (tmp_path / "projects.csv").write_text("id,title\n1,A\nabc,B\n")

    result = run("import", "projects", str(tmp_path / "projects.csv"))

    assert result.exit_code == 2
    assert "Row 2: id='abc' is not a whole number" in result.output


def test_unknown_setting_exits_2(run, monkeypatch):
    monkeypatch.setenv("OLAP_HOMME", "/tmp")

    result = run("migrate", "status")

    assert result.exit_code == 2
    assert result.output == "error: Unknown setting OLAP_HOMME; check its spelling against docs/configuration.md.\n"


def test_unreachable_clickhouse_exits_2(run, monkeypatch):
    # Port 9 on loopback (discard) has no listener here, so the connection is refused at once.
    monkeypatch.setenv("CLICKHOUSE_URL", "http://default:pw@127.0.0.1:9/olap")

    result = run("migrate", "up", "--clickhouse-only")

    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1].startswith("error: ")
    assert "127.0.0.1:9" in result.output
    assert "check CLICKHOUSE_URL" in result.output
    assert "pw@" not in result.output


def test_worker_refuses_embedded_clickhouse(run, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")

    result = run("worker", "--burst")

    assert result.exit_code == 2
    assert "jobs run inside `olap serve`" in result.output


def test_set_password_known_and_unknown_user(run):
    run("migrate", "up")
    run("users", "create", "admin@example.edu", "--role", "admin", "--password", "password1")

    changed = run("users", "set-password", "admin@example.edu", "--password", "password2")
    unknown = run("users", "set-password", "nobody@example.edu", "--password", "password2")

    assert changed.output == "password of admin@example.edu changed\n"
    assert unknown.exit_code == 2
    assert "No user has the email nobody@example.edu" in unknown.output


def test_demo_prepares_instance_once(run, olap_env, s3):
    from pathlib import Path

    first = run("demo", "--no-serve", "--events", "3000", "--students", "40")
    second = run("demo", "--no-serve", "--events", "3000", "--students", "40")

    assert first.exit_code == 0
    assert "demo: generating 3000 statements" in first.output
    loaded = json.loads((Path(olap_env["OLAP_HOME"]) / "demo-data" / "loaded.json").read_text())
    assert loaded["rows"] + loaded["rejects"] == loaded["lines"]
    assert loaded["lines"] == 3000 + 15
    assert loaded["rejects"] == 0
    assert "by backfill run 1" in first.output
    assert "demo: data already loaded" in second.output
    passwords = [line.split()[1] for line in first.output.splitlines() if line.startswith("  ") and "@example.edu" in line]
    assert len(passwords) == 3
    assert passwords == [line.split()[1] for line in second.output.splitlines() if line.startswith("  ") and "@example.edu" in line]
    flags = json.loads((Path(olap_env["OLAP_HOME"]) / "flags.json").read_text())
    assert {feature["name"]: feature["enabled"] for feature in flags["features"]}["instructor_dashboard_analytics"] is True
