"""The Python transform and the SQL backfill expressions give identical rows and rejects."""

from __future__ import annotations

from olap.ingest import mapping
from olap.ingest.sql import reject_select_sql, row_select_sql, untimezoned_count_sql
from olap.ingest.transform import transform_lines

from .conftest import OLI, VIDEO, line, load_lines_table, read_lines, statement

LINES_TABLE = "CREATE TABLE {name} (source_file String, source_etag String, source_line UInt64, raw String) ENGINE = MergeTree ORDER BY (source_file, source_line)"
COPY_TABLE = "CREATE TABLE {name} AS raw_events ENGINE = MergeTree ORDER BY tuple()"
COPY_REJECTS = "CREATE TABLE {name} AS raw_events_rejected ENGINE = MergeTree ORDER BY tuple()"
LIMIT = {"max_line_bytes": mapping.DEFAULT_MAX_LINE_BYTES}

VIDEO_PLAYED = {
    "actor": {"account": {"homePage": "lms.example.edu", "name": 900002}},
    "context": {"extensions": {OLI + "section_id": 2077, OLI + "resource_id": 52011, VIDEO + "length": 731.52}},
    "object": {"id": "https://media.example.edu/v.mp4", "definition": {"type": "https://w3id.org/xapi/video/activity-type/video"}},
    "result": {"extensions": {VIDEO + "time": 3.25}},
    "timestamp": "2026-03-01T12:40:17.004388Z",
    "verb": {"id": "https://w3id.org/xapi/video/verbs/played"},
}


def edge_case_lines() -> list[bytes]:
    """Lines that exercise every conversion rule and every reject reason."""
    cases = [
        statement(timestamp="2026-02-10T21:12:07+05:30"),
        statement(timestamp="2026-02-10T15:42:07-00:00"),
        statement(timestamp="2026-02-10 15:42:07"),
        statement(timestamp="2026-02-10t15:42:07.123456789z"),
        statement(timestamp="2026-02-10T15:42:07.1+0100"),
        statement(timestamp="2026-02-10T15:42:07.98-03"),
        statement(timestamp="2024-02-29T23:59:60Z"),
        statement(drop=("timestamp",), stored="2026-02-11T08:00:00.5Z"),
        statement(timestamp=None, stored="2026-02-11T08:00:00Z"),
        statement(result={"success": "true", "completion": "FALSE"}),
        statement(result={"success": 1, "completion": 0.0}),
        statement(result={"success": "1", "completion": "0"}),
        statement(result={"success": 2, "completion": "yes"}),
        statement(extensions={OLI + "hints_requested": ["a", "b", "c"]}),
        statement(extensions={OLI + "hints_requested": 3, OLI + "part_attempt_number": 4294967296}),
        statement(extensions={OLI + "hints_requested": "4", OLI + "part_attempt_number": -1}),
        statement(extensions={OLI + "section_id": "2051", OLI + "project_id": 318.0, OLI + "publication_id": 1.5}),
        statement(extensions={OLI + "enrollment_id": "007", OLI + "activity_id": "99999999999999999999", OLI + "page_id": "12a"}),
        statement(result={"score": {"raw": "0.75", "max": "1e-7", "scaled": "abc"}}),
        statement(result={"score": {"raw": 1e308, "max": 5e-324, "scaled": 0.1}}),
        statement(result={"score": {"raw": True, "max": "1e400", "scaled": None}}),
        statement(result={"response": {"x": 1.0, "y": [1e-7, 1e21, -0.0, 100.0, 0.000001, 123456.789]}}),
        statement(result={"response": "plain text", "extensions": {OLI + "feedback": {"t": "a\u001fb\u2028c\u2029", "n": None}}}),
        statement(result={"response": 42, "extensions": {OLI + "feedback": ["\n\t\\\"/", True, False]}}),
        statement(result={"response": True}, extensions={OLI + "attached_objectives": [40871, 40877]}),
        statement(extensions={OLI + "attached_objectives": []}),
        statement(actor={"account": {"homePage": "https://lms.example.edu", "name": "ñandú😀"}}),
        statement(actor={"mbox": "mailto:learner@example.org"}),
        statement(actor={"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"}),
        statement(actor={"openid": "https://openid.example.org/learner", "account": {"name": 1.5}}),
        statement(extensions={OLI + "section_id": None, "https://oli.cmu.edu/extensions/section_id": 4242}),
        statement(extensions={"https://oli.cmu.edu/extensions/session_id": "s-1", OLI + "part_id": 3660145108}),
        statement(object={"definition": {"type": "https://oli.cmu.edu/extensions/activity_attempt"}, "id": "x"}),
        statement(
            verb={"id": "http://id.tincanapi.com/verb/viewed"},
            object={"definition": {"type": "http://oli.cmu.edu/extensions/types/page", "subType": "advanced"}, "id": "p"},
        ),
        statement(object={"definition": {"type": "http://oli.cmu.edu/extensions/page_attempt"}, "id": "x"}),
        statement(object={"definition": {"type": ["not", "a", "string"]}, "id": "x"}),
        VIDEO_PLAYED,
        {**VIDEO_PLAYED, "verb": {"id": "https://w3id.org/xapi/video/verbs/seeked"}, "result": {"extensions": {VIDEO + "time-from": 90, VIDEO + "time-to": 3.25, VIDEO + "length": 12}}},
        {**VIDEO_PLAYED, "context": {"extensions": {OLI + "page_id": 52011, VIDEO + "length": "731.52"}}, "verb": {"id": "https://w3id.org/xapi/video/verbs/paused"}},
        {**VIDEO_PLAYED, "result": {"extensions": {VIDEO + "played-segments": "0[.]3.25", VIDEO + "progress": 1}}, "verb": {"id": "https://w3id.org/xapi/video/verbs/completed"}},
        statement(id="", verb={"id": "http://adlnet.gov/expapi/verbs/voided"}, object={"objectType": "StatementRef", "id": "e5a1f1c0-0000-4000-8000-000000000001"}),
        statement(id=123, verb={"id": "http://adlnet.gov/expapi/verbs/voided"}, object={"objectType": "Activity", "id": "not-a-ref"}),
        statement(id="e5a1f1c0-0000-4000-8000-000000000002", version="1.0.3"),
        {**statement(context="not an object"), "result": [1, 2]},
        statement(timestamp="2026-13-01T00:00:00Z"),
        statement(timestamp="2025-02-29T00:00:00Z"),
        statement(timestamp="2026-02-10T24:00:00Z"),
        statement(timestamp="2026-02-10T10:00:00+24:00"),
        statement(timestamp="1899-12-31T23:59:59Z"),
        statement(timestamp="2026-02-10"),
        statement(timestamp="2026-02-10T15:42:07.1234567890Z"),
        statement(timestamp="2026-02-10T15:42:07Z\n"),
        statement(timestamp=1770738127),
        statement(drop=("timestamp",)),
        statement(actor="learner"),
        statement(drop=("actor",)),
        statement(verb={"display": {"en-US": "completed"}}),
        statement(verb={"id": ""}),
        statement(verb="completed"),
        statement(drop=("object",)),
    ]
    raw_lines = [line(case) for case in cases]
    page_id_big = line(statement()).replace(b'"page_id":40915', b'"page_id":99999999999999999999')
    score_big = line(statement()).replace(b'"raw":1.0', b'"raw":-99999999999999999999')
    user_big = line(statement()).replace(b'"name":900001', b'"name":123456789012345678901')
    raw_lines += [
        page_id_big,
        score_big,
        user_big,
        b"\xef\xbb\xbf" + line(statement()),
        line(statement()) + b"\r",
        b"  " + line(statement()) + b" ",
        b"not json",
        b"[1, 2]",
        b'"a string"',
        b"",
        b" \t ",
        b'{"actor": "caf\xe9"}',
        line(statement()).replace(b'"1"', b'"\\ud800"'),
        b'{"a": NaN}',
        line(statement()) + b" trailing",
        line(statement(result={"response": "x" * (mapping.DEFAULT_MAX_LINE_BYTES + 10)})),
    ]
    return raw_lines


def stored_rows(store, table: str, columns: tuple[str, ...]) -> list[dict]:
    selected = ", ".join(f"toString({column}) AS {column.replace('hex(raw)', 'raw_hex')}" for column in columns)
    result = store.query(f"SELECT {selected} FROM {table} ORDER BY source_file, source_line")
    return result.dicts()


def assert_same_rows(python_rows: list[dict], sql_rows: list[dict]) -> None:
    assert [(row["source_file"], row["source_line"]) for row in python_rows] == [(row["source_file"], row["source_line"]) for row in sql_rows]
    for python_row, sql_row in zip(python_rows, sql_rows):
        for column, value in python_row.items():
            assert value == sql_row[column], f"{python_row['source_file']} line {python_row['source_line']}, column {column}"


def test_python_and_sql_give_identical_rows(clickhouse, xapi_files):
    sources = {name: read_lines(path) for name, path in xapi_files.items()}
    sources["edge-cases.jsonl"] = edge_case_lines()
    clickhouse.command(LINES_TABLE.format(name="jsonl_lines"))
    clickhouse.command(COPY_TABLE.format(name="python_rows"))
    clickhouse.command(COPY_TABLE.format(name="sql_rows"))
    clickhouse.command(COPY_REJECTS.format(name="python_rejects"))
    clickhouse.command(COPY_REJECTS.format(name="sql_rejects"))

    python_untimezoned = 0
    for name, lines in sources.items():
        load_lines_table(clickhouse, "jsonl_lines", name, lines)
        transformed = transform_lines(lines, name)
        python_untimezoned += transformed.untimezoned
        assert transformed.rows.num_rows + transformed.rejects.num_rows == len(lines)
        clickhouse.insert_arrow("python_rows", transformed.rows)
        clickhouse.insert_arrow("python_rejects", transformed.rejects)
    columns = ", ".join(mapping.ROW_COLUMNS)
    clickhouse.command(f"INSERT INTO sql_rows ({columns}) {row_select_sql('jsonl_lines')}", LIMIT)
    reject_columns = ", ".join(mapping.REJECT_COLUMNS)
    clickhouse.command(f"INSERT INTO sql_rejects ({reject_columns}) {reject_select_sql('jsonl_lines')}", LIMIT)
    sql_untimezoned = clickhouse.query(untimezoned_count_sql("jsonl_lines"), LIMIT).scalar()

    total_lines = sum(len(lines) for lines in sources.values())
    python_rows = stored_rows(clickhouse, "python_rows", mapping.ROW_COLUMNS)
    sql_rows = stored_rows(clickhouse, "sql_rows", mapping.ROW_COLUMNS)
    reject_columns_hex = mapping.REJECT_COLUMNS[:-1] + ("hex(raw)",)
    python_rejects = stored_rows(clickhouse, "python_rejects", reject_columns_hex)
    sql_rejects = stored_rows(clickhouse, "sql_rejects", reject_columns_hex)

    assert len(sql_rows) + len(sql_rejects) == total_lines
    assert_same_rows(python_rows, sql_rows)
    assert_same_rows(python_rejects, sql_rejects)
    assert python_untimezoned == sql_untimezoned == 1
