"""Fixtures of the analytics tests: the generated sample, ingested into a fresh database, and the cases each query runs for."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from olap.core.analytics import AnalyticsResult, Filters, run_query
from olap.core.plugins import build_registry, create_plugin_manager
from olap.core.scope import Scope
from olap.ingest import ingest_lines

from .sample import Event, Sample, generate

SECTION = Scope.section(2051, 318)
PROJECT = Scope.project(318, [2051, 2077])
OTHER_PROJECT = Scope.project(400, [3001])
WHOLE_TERM = Filters(date(2026, 2, 1), date(2026, 3, 31), "UTC")
# Ends on 2026-02-28 in New York, which still contains the statement at 2026-03-01T03:30Z.
NEW_YORK_WEEK = Filters(date(2026, 2, 22), date(2026, 2, 28), "America/New_York")
TOP_THREE = Filters(date(2026, 2, 1), date(2026, 3, 31), "Asia/Tokyo", top_n=3)

# (case name, scope, filters): every query test runs each case, on one ingested database.
CASES = [
    ("section-whole-term", SECTION, WHOLE_TERM),
    ("project-whole-term", PROJECT, WHOLE_TERM),
    ("section-new-york-week", SECTION, NEW_YORK_WEEK),
    ("project-new-york-week", PROJECT, NEW_YORK_WEEK),
    ("section-tokyo-top-3", SECTION, TOP_THREE),
    ("project-tokyo-top-3", PROJECT, TOP_THREE),
    ("other-project-tokyo-top-3", OTHER_PROJECT, TOP_THREE),
]


@pytest.fixture(scope="session")
def sample() -> Sample:
    return generate()


@pytest.fixture(scope="session")
def registry():
    return build_registry(create_plugin_manager())


@pytest.fixture
def store(clickhouse, sample):
    """The migrated test database with the sample ingested twice over, duplicates and all."""
    first = ingest_lines(clickhouse, sample.lines, "analytics-sample-1.jsonl")
    second = ingest_lines(clickhouse, sample.repeated_lines, "analytics-sample-2.jsonl")
    assert first.rejected == 0
    assert second.rejected == 0
    assert first.duplicates == 3
    assert second.inserted == 0
    return clickhouse


def run(store, registry, query_id: str, scope: Scope, filters: Filters, titles: dict | None = None) -> AnalyticsResult:
    """Run a registered query and fail with the ClickHouse error when it does not succeed."""
    result = run_query(store, registry.queries[query_id], scope, filters, {}, titles)
    assert result.state == "ok", f"{query_id} for {scope.describe()}: {result.state} {result.error}"
    return result


def in_scope(event: Event, scope: Scope) -> bool:
    if scope.kind == "section":
        return event.section_id == scope.id and event.project_id in (scope.project_id, 0)
    return event.project_id == scope.project_id or (event.project_id == 0 and event.section_id in scope.section_ids)


def local_date(event: Event, time_zone: str) -> date:
    return event.timestamp.astimezone(ZoneInfo(time_zone)).date()


def selected(sample: Sample, scope: Scope, filters: Filters) -> list[Event]:
    """The sample's remaining events in the scope whose local day falls in the filter's range."""
    return [
        event for event in sample.events
        if in_scope(event, scope) and filters.start <= local_date(event, filters.time_zone) <= filters.end
    ]


def top(rows: list, top_n: int) -> list:
    return rows[:top_n] if top_n else rows


def assert_rows(actual: list[dict], expected: list[dict], keys: tuple[str, ...], label: str) -> None:
    """Compare rows in order, named by their `keys` columns. Floats must agree within 1e-9."""
    assert [tuple(row[key] for key in keys) for row in actual] == [tuple(row[key] for key in keys) for row in expected], f"{label}: rows or their order differ"
    for actual_row, expected_row in zip(actual, expected):
        name = tuple(expected_row[key] for key in keys)
        for column, value in expected_row.items():
            if isinstance(value, float):
                assert actual_row[column] == pytest.approx(value, abs=1e-9), f"{label}: {column} of {name}"
            else:
                assert actual_row[column] == value, f"{label}: {column} of {name}"
