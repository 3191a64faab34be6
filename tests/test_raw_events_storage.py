"""Storage rules of raw_events: re-inserts change no count, scoped queries read only their own granules."""

from __future__ import annotations

import re

import pytest

from olap.core.clickhouse import ClickHouse
from olap.core.config import load_config
from olap.core.migrations import Migrator
from olap.core.scope import Scope

PROJECTS = 8
SECTIONS_PER_PROJECT = 25
ROWS = 1_200_000

FILL = """
INSERT INTO raw_events (event_id, section_id, project_id, timestamp, event_type, verb_id, user_id, raw)
SELECT
    toString(number) AS event_id,
    (number % {projects:UInt64}) * 1000 + intDiv(number, {projects:UInt64}) % {sections:UInt64} AS section_id,
    number % {projects:UInt64} + 1 AS project_id,
    toDateTime64('2026-01-05 00:00:00', 3, 'UTC') + toIntervalSecond(number % 7776000) AS timestamp,
    'page_viewed', 'http://id.tincanapi.com/verb/viewed', toString(number % 997), '{{}}'
FROM numbers({rows:UInt64})
"""


def scope_for(column: str, value: int) -> Scope:
    if column == "section_id":
        return Scope.section(value, project_id=value // 1000 + 1)
    return Scope.project(value, section_ids=[(value - 1) * 1000 + s for s in range(SECTIONS_PER_PROJECT)])


def selected_granules(clickhouse, column: str, value: int) -> tuple[int, int]:
    scope = scope_for(column, value)
    plan = clickhouse.query(f"EXPLAIN indexes = 1 SELECT count() FROM raw_events FINAL WHERE {scope.predicate()}", scope.parameters())
    text = "\n".join(row[0] for row in plan.rows)
    primary_key = text.split("PrimaryKey", 1)[1]
    selected, total = map(int, re.search(r"Granules: (\d+)/(\d+)", primary_key).groups())
    return selected, total


def own_granules(clickhouse, column: str, value: int) -> int:
    # Rows here are far below the adaptive-granularity byte limit, so every granule holds
    # index_granularity (8192) rows and a row's granule is its part offset divided by that.
    return clickhouse.query(
        f"SELECT uniqExact(_part, intDiv(_part_offset, 8192)) FROM raw_events WHERE {column} = {{value:UInt64}}", {"value": value}
    ).scalar()


@pytest.fixture(scope="module")
def filled(chdb_path, tmp_path_factory):
    """A database of many projects and sections, filled once for every granule test."""
    config = load_config(environ={}, overrides={"OLAP_HOME": str(tmp_path_factory.mktemp("home")), "CLICKHOUSE_URL": f"chdb://{chdb_path}", "CLICKHOUSE_DATABASE": "granules"})
    migrator = Migrator(config.clickhouse_admin)
    migrator.up()
    migrator.close()
    store = ClickHouse(config.clickhouse_admin)
    store.command(FILL, {"projects": PROJECTS, "sections": SECTIONS_PER_PROJECT, "rows": ROWS})
    store.command("OPTIMIZE TABLE raw_events FINAL")
    yield store
    store.command("DROP DATABASE granules SYNC")
    store.close()


@pytest.mark.parametrize(("column", "value"), [("section_id", 3007), ("section_id", 24), ("project_id", 4), ("project_id", 8)], ids=["section-3007", "section-24", "project-4", "project-8"])
def test_scoped_query_reads_only_own_granules(filled, column, value):
    selected, total = selected_granules(filled, column, value)
    own = own_granules(filled, column, value)

    assert own > 0
    assert total >= 140
    assert selected == own


def test_reinserting_same_statements_changes_no_count(clickhouse):
    parameters = {"projects": 2, "sections": 3, "rows": 50_000}
    clickhouse.command(FILL, parameters)
    before = clickhouse.query("SELECT count(), uniqExact(event_id) FROM raw_events FINAL").rows[0]

    clickhouse.command(FILL, parameters)
    clickhouse.command(FILL, parameters, settings={"insert_deduplication_token": "same-source"})
    after = clickhouse.query("SELECT count(), uniqExact(event_id) FROM raw_events FINAL").rows[0]
    section_count = clickhouse.query("SELECT count() FROM raw_events FINAL WHERE section_id = 1001").scalar()

    assert before == (50_000, 50_000)
    assert after == before
    assert section_count == len([n for n in range(50_000) if n % 2 == 1 and (n // 2) % 3 == 1])


def test_scope_counts_rows_without_project(clickhouse):
    clickhouse.command(FILL, {"projects": 2, "sections": 3, "rows": 6000})
    clickhouse.command(
        "INSERT INTO raw_events (event_id, section_id, project_id, timestamp, raw)"
        " SELECT concat('orphan-', toString(number)), 1001, 0, toDateTime64('2026-02-01 00:00:00', 3, 'UTC'), '{}' FROM numbers(7)"
    )

    section = Scope.section(1001, project_id=2)
    project = Scope.project(2, section_ids=[1000, 1001, 1002])
    in_section = clickhouse.query(f"SELECT count() FROM raw_events FINAL WHERE {section.predicate()}", section.parameters()).scalar()
    in_project = clickhouse.query(f"SELECT count() FROM raw_events FINAL WHERE {project.predicate()}", project.parameters()).scalar()

    assert in_section == 1000 + 7
    assert in_project == 3000 + 7
