"""ingest_lines against real chDB: counts per sample file, reruns, conflicts, voiding, the events view."""

from __future__ import annotations

import re

import pytest

from olap.core.scope import Scope
from olap.ingest import ingest_lines, mapping, row_select_sql

from .conftest import OLI, line, load_lines_table, read_lines, statement

VOIDED = "http://adlnet.gov/expapi/verbs/voided"

# (lines, inserted, duplicates, rejected, reasons), worked out line by line. The
# conformance templates carry no timestamp. Spec examples 9 and 10 share an id with
# different content, and example 11 has a plain-string verb. lrsql has a timestamp on
# its last line only.
EXPECTED_COUNTS = {
    "torus-profile.jsonl": (34, 34, 0, 0, {}),
    "adlnet-lrs-conformance-test-suite.jsonl": (22, 0, 0, 22, {"missing_timestamp": 18, "missing_actor": 1, "missing_object": 1, "missing_verb": 2}),
    "adlnet-xapi-spec.jsonl": (13, 6, 0, 7, {"missing_timestamp": 5, "missing_verb": 1, "conflicting_duplicate": 1}),
    "openfun-ralph.jsonl": (25, 25, 0, 0, {}),
    "yetanalytics-lrsql.jsonl": (18, 1, 0, 17, {"missing_timestamp": 17}),
}

# Torus lines 1-34 by kind. Video also counts spec line 9 (verb experienced) and Ralph's 9
# played/paused/seeked statements. Ralph's other 16, spec lines 5-7, 12, 13 and lrsql's
# line are unknown.
EXPECTED_EVENT_TYPES = {"part_attempt": 6, "activity_attempt": 5, "page_attempt": 5, "page_viewed": 4, "video": 14 + 1 + 9, "unknown": 16 + 5 + 1}


def table_counts(store) -> tuple[int, int]:
    rows = store.query("SELECT count() FROM raw_events FINAL").scalar()
    rejects = store.query("SELECT count() FROM raw_events_rejected FINAL").scalar()
    return rows, rejects


def summary_tuple(summary) -> tuple:
    return (summary.lines, summary.inserted, summary.duplicates, summary.rejected, summary.reasons)


def test_every_sample_file_ingests_with_known_counts(clickhouse, xapi_files):
    summaries = {name: ingest_lines(clickhouse, read_lines(path), name) for name, path in xapi_files.items()}

    for name, expected in EXPECTED_COUNTS.items():
        assert summary_tuple(summaries[name]) == expected, name
    assert table_counts(clickhouse) == (66, 46)
    assert dict(clickhouse.query("SELECT event_type, count() FROM raw_events FINAL GROUP BY event_type").rows) == EXPECTED_EVENT_TYPES


def test_rerun_of_same_lines_changes_no_count(clickhouse, xapi_files):
    sources = {name: read_lines(path) for name, path in xapi_files.items()}
    first = {name: ingest_lines(clickhouse, lines, name, "etag-1", chunk_lines=7) for name, lines in sources.items()}
    counts_after_first = table_counts(clickhouse)

    second = {name: ingest_lines(clickhouse, lines, name, "etag-1", chunk_lines=7) for name, lines in sources.items()}

    assert table_counts(clickhouse) == counts_after_first == (66, 46)
    for name in sources:
        assert second[name].lines == first[name].lines
        assert second[name].inserted == 0
        assert second[name].duplicates == first[name].inserted + first[name].duplicates
        assert second[name].rejected == first[name].rejected


def test_duplicates_inside_one_batch_are_skipped(clickhouse):
    repeated = line(statement())
    summary = ingest_lines(clickhouse, [repeated, line(statement(timestamp="2026-02-10T15:42:08Z")), repeated, repeated], "batch.jsonl")

    assert summary_tuple(summary) == (4, 2, 2, 0, {})
    assert table_counts(clickhouse) == (2, 0)


def test_same_id_with_other_payload_is_rejected(clickhouse):
    first = line(statement(id="e5a1f1c0-0000-4000-8000-00000000000a"))
    changed = line(statement(id="e5a1f1c0-0000-4000-8000-00000000000a", result={"success": False}))
    earlier = ingest_lines(clickhouse, [first], "first.jsonl")
    later = ingest_lines(clickhouse, [changed, first], "second.jsonl")

    rejected = clickhouse.query("SELECT source_file, source_line, reason, event_id FROM raw_events_rejected FINAL").rows
    stored_success = clickhouse.query("SELECT success FROM raw_events FINAL").rows

    assert summary_tuple(earlier) == (1, 1, 0, 0, {})
    assert summary_tuple(later) == (2, 0, 1, 1, {"conflicting_duplicate": 1})
    assert rejected == [("second.jsonl", 1, "conflicting_duplicate", "e5a1f1c0-0000-4000-8000-00000000000a")]
    assert stored_success == [(True,)]


def test_untimezoned_statements_are_counted(clickhouse):
    summary = ingest_lines(clickhouse, [line(statement(timestamp="2026-02-10 15:42:07")), line(statement())], "zones.jsonl")

    assert summary.untimezoned == 1
    assert summary.inserted == 2


@pytest.mark.parametrize("voiding_first", [False, True], ids=["voided-then-voiding", "voiding-then-voided"])
def test_events_view_leaves_out_voided_statements(clickhouse, voiding_first):
    target = line(statement(id="e5a1f1c0-0000-4000-8000-000000000001"))
    voiding = line(statement(id="e5a1f1c0-0000-4000-8000-000000000099", verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": "e5a1f1c0-0000-4000-8000-000000000001"}))
    other = line(statement(id="e5a1f1c0-0000-4000-8000-000000000002"))
    batches = [[voiding], [target, other]] if voiding_first else [[target, other], [voiding]]
    for number, batch in enumerate(batches):
        ingest_lines(clickhouse, batch, f"void-{number}.jsonl")

    visible_ids = clickhouse.query("SELECT event_id FROM events").rows
    stored = clickhouse.query("SELECT event_id, voided_event_id FROM raw_events FINAL ORDER BY event_id").rows

    assert visible_ids == [("e5a1f1c0-0000-4000-8000-000000000002",)]
    assert stored == [
        ("e5a1f1c0-0000-4000-8000-000000000001", ""),
        ("e5a1f1c0-0000-4000-8000-000000000002", ""),
        ("e5a1f1c0-0000-4000-8000-000000000099", "e5a1f1c0-0000-4000-8000-000000000001"),
    ]


def test_events_view_collapses_backfilled_copies(clickhouse):
    lines = [line(statement(timestamp=f"2026-02-10T15:42:{second:02d}Z")) for second in range(5)]
    clickhouse.command("CREATE TABLE jsonl_lines (source_file String, source_etag String, source_line UInt64, raw String) ENGINE = MergeTree ORDER BY source_line")
    load_lines_table(clickhouse, "jsonl_lines", "copies.jsonl", lines)
    insert = f"INSERT INTO raw_events ({', '.join(mapping.ROW_COLUMNS)}) {row_select_sql('jsonl_lines')}"
    for _ in range(2):
        clickhouse.command(insert, {"max_line_bytes": mapping.DEFAULT_MAX_LINE_BYTES})

    assert clickhouse.query("SELECT count() FROM raw_events").scalar() == 10
    assert clickhouse.query("SELECT count() FROM events").scalar() == 5


FILL = """
INSERT INTO raw_events (event_id, section_id, project_id, timestamp, event_type, verb_id, raw)
SELECT toString(number), (number % 4) * 100 + intDiv(number, 4) % 10, number % 4 + 1,
       toDateTime64('2026-01-05 00:00:00', 3, 'UTC') + toIntervalSecond(number), 'page_viewed', 'http://id.tincanapi.com/verb/viewed', ''
FROM numbers(400000)
"""


def test_section_scope_through_events_view_reads_few_granules(clickhouse):
    clickhouse.command(FILL)
    clickhouse.command("OPTIMIZE TABLE raw_events FINAL")
    scope = Scope.section(203, project_id=3)

    plan = clickhouse.query(f"EXPLAIN indexes = 1 SELECT count() FROM events WHERE {scope.predicate()}", scope.parameters())
    text = "\n".join(row[0] for row in plan.rows)
    raw_events_read = text.split("raw_events)", 1)[1] if "raw_events)" in text else text
    selected, total = map(int, re.search(r"PrimaryKey.*?Granules: (\d+)/(\d+)", raw_events_read, re.DOTALL).groups())
    in_section = clickhouse.query(f"SELECT count() FROM events WHERE {scope.predicate()}", scope.parameters()).scalar()

    assert in_section == 10000
    assert total >= 48
    assert selected <= 3
