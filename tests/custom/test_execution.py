"""Execution of guarded queries on chDB: limits stop queries, and a failed query leaves nothing behind."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from olap.ingest import ingest_lines
from olap.plugins.custom.runner import query_limits, run_custom_sql

from .conftest import SECTION, statement

HONEST = "SELECT event_type, count() AS events FROM events GROUP BY event_type ORDER BY event_type"
EXPECTED = [{"event_type": "activity_attempt", "events": 52}, {"event_type": "page_viewed", "events": 52}, {"event_type": "video", "events": 34}]
SLOW = "SELECT count() FROM events AS a, events AS b, events AS c, events AS d WHERE (a.source_line + b.source_line * 3 + c.source_line * 5 + d.source_line * 7) % 11 = 0"
FAILURES = {
    "result-rows": ("SELECT arrayJoin(range(1000)) AS n FROM events", {}, "limit"),
    "rows-to-read": ("SELECT count() FROM events", {"CUSTOM_SQL_MAX_ROWS_TO_READ": 10}, "limit"),
    "timeout": (SLOW, {"CUSTOM_SQL_TIMEOUT": 1}, "timeout"),
    "unknown-column": ("SELECT no_such_column FROM events", {}, "error"),
}


def settings_of_session(store) -> tuple:
    return store.query("SELECT getSetting('readonly'), getSetting('max_result_rows'), getSetting('max_execution_time')").rows[0]


@pytest.mark.parametrize("name", list(FAILURES), ids=list(FAILURES))
def test_failed_query_leaves_nothing_behind(writable_store, name):
    sql, config_values, outcome = FAILURES[name]
    before = settings_of_session(writable_store)

    failed = run_custom_sql(writable_store, sql, SECTION, query_limits(config_values), "test")
    after_custom = run_custom_sql(writable_store, HONEST, SECTION, query_limits({}), "test")
    after_shared = writable_store.query("SELECT toUInt16(7) AS n").rows
    ingest_lines(writable_store, [statement(1099, 2051, 318, datetime(2026, 3, 2, tzinfo=timezone.utc), "page_viewed", 10)], "after-failure.jsonl")

    assert failed.outcome == outcome, failed.error
    assert after_custom.outcome == "ok", after_custom.error
    assert after_custom.rows == EXPECTED
    assert after_shared == [(7,)]
    assert settings_of_session(writable_store) == before
    assert writable_store.query("SELECT count() FROM events WHERE user_id = '1099'").scalar() == 1


def test_limits_are_in_the_settings_clause():
    limits = query_limits({"CUSTOM_SQL_TIMEOUT": 3, "CUSTOM_SQL_MAX_RESULT_ROWS": 7})

    assert limits["readonly"] == 2
    assert limits["max_execution_time"] == 3
    assert limits["max_result_rows"] == 7
    assert limits["result_overflow_mode"] == "throw"
    assert {"max_rows_to_read", "max_bytes_to_read", "max_memory_usage"} <= set(limits)


def test_write_through_settings_is_refused_by_readonly(events_store):
    with pytest.raises(Exception) as raised:
        events_store.command("INSERT INTO raw_events_rejected (source_file, reason) SELECT 'x', 'y'", settings=query_limits({}))

    assert "readonly" in str(raised.value).lower()


def test_query_carries_user_and_scope_comment(events_store):
    run = run_custom_sql(events_store, "SELECT 1 AS one", SECTION, query_limits({}), "user:42")

    assert run.outcome == "ok"
    assert len(run.query_id) == 32
