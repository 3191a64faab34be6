"""The `olap sql` command: JSON rows for a scope, exit status 2 for a rejected query."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from olap.core.models import Project, Section
from olap.plugins.custom.cli import sql_command

from .conftest import ingest_sample


@pytest.fixture
def cli_env(olap_env, clickhouse, monkeypatch, tmp_path):
    """Environment of an instance with the sample events and sections 2051 and 2077 of project 318."""
    from olap.core.db import Database

    ingest_sample(clickhouse)
    database_url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    database = Database(database_url)
    database.upgrade()
    session = database.session
    session.add_all([Project(id=318, title="Chemistry"), Section(id=2051, project_id=318, title="Chem A"), Section(id=2077, project_id=318, title="Chem B")])
    session.commit()
    database.dispose()
    for name, value in {**olap_env, "DATABASE_URL": database_url}.items():
        monkeypatch.setenv(name, value)


def test_sql_prints_rows_of_section(cli_env):
    result = CliRunner().invoke(sql_command, ["--section", "2051", "SELECT count() AS events FROM events WHERE 1 = 1 OR 1 = 1"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"events": 138}]


def test_sql_project_scope(cli_env):
    result = CliRunner().invoke(sql_command, ["--project", "318", "SELECT section_id, count() AS events FROM events GROUP BY section_id ORDER BY section_id"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"section_id": 2051, "events": 138}, {"section_id": 2077, "events": 104}]


def test_sql_rejection_exits_2(cli_env):
    result = CliRunner().invoke(sql_command, ["--section", "2051", "SELECT * FROM raw_events_rejected"])

    assert result.exit_code == 2
    assert "rejected: The table 'raw_events_rejected' is not readable here" in result.stderr


def test_sql_needs_one_scope(cli_env):
    result = CliRunner().invoke(sql_command, ["--section", "2051", "--project", "318", "SELECT 1"])

    assert result.exit_code == 2
    assert "exactly one of --section ID or --project ID" in result.stderr
