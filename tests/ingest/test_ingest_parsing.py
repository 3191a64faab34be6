"""Parsing policy of the transform: timestamps, booleans, numbers, JSON text, ids, rejects."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import pytest

from olap.ingest.transform import derived_event_id, transform_lines
from olap.ingest.values import float_text, parse_timestamp, to_json_text

from .conftest import OLI, line, statement


def only_row(value) -> dict:
    transformed = transform_lines([line(value)], "case.jsonl")
    assert transformed.rejects.num_rows == 0, transformed.rejects.column("reason").to_pylist()
    return transformed.rows.to_pylist()[0]


def reject_reason(raw: bytes, **options) -> str:
    transformed = transform_lines([raw], "case.jsonl", **options)
    assert transformed.rows.num_rows == 0
    return transformed.rejects.column("reason")[0].as_py()


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("text", "expected", "has_offset"),
    [
        ("2026-02-10T15:42:07Z", utc(2026, 2, 10, 15, 42, 7), True),
        ("2026-02-10T21:12:07.5+05:30", utc(2026, 2, 10, 15, 42, 7, 500000), True),
        ("2026-02-10T15:42:07-00:00", utc(2026, 2, 10, 15, 42, 7), True),
        ("2026-02-10T12:42:07-0300", utc(2026, 2, 10, 15, 42, 7), True),
        ("2026-02-10 15:42:07", utc(2026, 2, 10, 15, 42, 7), False),
        ("2026-02-10T15:42:07.123456789Z", utc(2026, 2, 10, 15, 42, 7, 123000), True),
        ("2026-02-10T15:42:07.9999Z", utc(2026, 2, 10, 15, 42, 7, 999000), True),
        ("2016-12-31T23:59:60Z", utc(2017, 1, 1), True),
        ("2024-02-29T00:00:00z", utc(2024, 2, 29), True),
    ],
    ids=["zulu", "plus-0530", "minus-0000", "minus-0300-no-colon", "space-no-offset", "nine-digits", "cut-not-rounded", "leap-second", "leap-day"],
)
def test_timestamp_parses_to_utc_milliseconds(text, expected, has_offset):
    epoch_ms, offset_seen = parse_timestamp(text)

    assert datetime.fromtimestamp(epoch_ms / 1000, timezone.utc) == expected
    assert offset_seen is has_offset


@pytest.mark.parametrize(
    "text",
    ["2025-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-02-10T24:00:00Z", "2026-02-10T10:00:00+24:00", "1899-12-31T23:59:59Z", "2026-02-10", "2026-02-10T15:42:07.1234567890Z", "2026-02-10T15:42:07Z\n"],
    ids=["not-leap-year", "month-13", "hour-24", "offset-24h", "before-1900", "date-only", "ten-fraction-digits", "trailing-newline"],
)
def test_timestamp_rejects_invalid_text(text):
    assert parse_timestamp(text) is None


def test_statement_without_offset_is_counted():
    transformed = transform_lines([line(statement(timestamp="2026-02-10 15:42:07")), line(statement())], "case.jsonl")

    assert transformed.untimezoned == 1
    assert transformed.rows.column("timestamp").to_pylist() == [utc(2026, 2, 10, 15, 42, 7)] * 2


def test_stored_replaces_missing_timestamp():
    row = only_row(statement(drop=("timestamp",), stored="2026-02-11T08:00:00.25Z"))

    assert row["timestamp"] == utc(2026, 2, 11, 8, 0, 0, 250000)


@pytest.mark.parametrize(
    ("success", "completion", "expected"),
    [(True, False, (True, False)), ("true", "FALSE", (True, False)), (1, 0, (True, False)), ("1", "0", (True, False)), (1.0, 0.0, (True, False)), (2, "yes", (None, None))],
    ids=["json", "strings", "numbers", "digit-strings", "floats", "other"],
)
def test_booleans_accept_numbers_and_strings(success, completion, expected):
    row = only_row(statement(result={"success": success, "completion": completion}))

    assert (row["success"], row["completion"]) == expected


@pytest.mark.parametrize(("hints", "expected"), [(["a", "b", "c"], 3), ([], 0), (2, 2), ("4", 4), (-1, None)], ids=["list", "empty-list", "number", "string", "negative"])
def test_hints_requested_counts_a_list(hints, expected):
    assert only_row(statement(extensions={OLI + "hints_requested": hints}))["hints_requested"] == expected


def test_numbers_given_as_strings_are_accepted():
    row = only_row(
        statement(
            extensions={OLI + "section_id": "2051", OLI + "project_id": 318.0, OLI + "publication_id": 1.5, OLI + "enrollment_id": "007"},
            result={"score": {"raw": "0.75", "max": "1e1", "scaled": "abc"}},
        )
    )

    assert (row["section_id"], row["project_id"], row["publication_id"], row["enrollment_id"]) == (2051, 318, None, 7)
    assert (row["score"], row["out_of"], row["scaled_score"]) == (0.75, 10.0, None)


def test_objects_are_kept_as_json_text():
    row = only_row(
        statement(
            extensions={OLI + "attached_objectives": [40871, 40877]},
            result={"response": {"input": "3196740231", "weight": 1.0}, "extensions": {OLI + "feedback": {"id": "28", "content": [{"text": "Correct."}]}}},
        )
    )

    assert row["attached_objectives"] == "[40871,40877]"
    assert row["response"] == '{"input":"3196740231","weight":1}'
    assert row["feedback"] == '{"id":"28","content":[{"text":"Correct."}]}'


def test_string_response_is_kept_as_is():
    assert only_row(statement(result={"response": "a \"quoted\" answer"}))["response"] == 'a "quoted" answer'


@pytest.mark.parametrize(
    ("number", "expected"),
    [(1.0, "1"), (-0.0, "-0"), (1e-7, "1e-7"), (0.000001, "0.000001"), (1e20, "100000000000000000000"), (1e21, "1e21"), (1.5e300, "1.5e300"), (0.1, "0.1"), (123.456, "123.456")],
    ids=["integral", "negative-zero", "small", "plain-small", "plain-large", "exponent-21", "huge", "tenth", "fraction"],
)
def test_float_text_matches_clickhouse(number, expected):
    assert float_text(number) == expected


def test_json_text_escapes_like_clickhouse():
    assert to_json_text({"t": "a\u001fb\u2028", "n": None, "ok": True}) == '{"t":"a\\u001Fb\\u2028","n":null,"ok":true}'


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ({"account": {"homePage": "lms.example.edu", "name": 48213}}, "48213"),
        ({"account": {"homePage": "lms.example.edu", "name": "u-48213"}}, "u-48213"),
        ({"mbox": "mailto:learner@example.org"}, "mailto:learner@example.org"),
        ({"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"}, "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"),
    ],
    ids=["account-number", "account-string", "mbox", "mbox-sha1sum"],
)
def test_user_id_from_account_name_else_mbox(actor, expected):
    assert only_row(statement(actor=actor))["user_id"] == expected


def test_https_oli_keys_and_video_resource_id_are_read():
    row = only_row(
        {
            "actor": {"account": {"homePage": "lms.example.edu", "name": 1}},
            "context": {"extensions": {"https://oli.cmu.edu/extensions/section_id": 2077, "https://oli.cmu.edu/extensions/resource_id": 52011}},
            "object": {"id": "https://media.example.edu/v.mp4"},
            "result": {"extensions": {"https://w3id.org/xapi/video/extensions/time": 3.25}},
            "timestamp": "2026-03-01T12:40:17.004388Z",
            "verb": {"id": "https://w3id.org/xapi/video/verbs/played"},
        }
    )

    assert (row["event_type"], row["section_id"], row["page_id"]) == ("video", 2077, 52011)
    assert (row["video_url"], row["video_time"], row["video_play_time"]) == ("https://media.example.edu/v.mp4", 3.25, 3.25)


def test_raw_statement_is_stored_unchanged():
    raw = b"  " + line(statement()) + b"\r"
    transformed = transform_lines([raw], "case.jsonl")

    assert transformed.rows.column("raw")[0].as_py().encode() == raw


def test_event_id_is_statement_id_else_hash_of_line():
    with_id = line(statement(id="e5a1f1c0-0000-4000-8000-000000000002"))
    without_id = line(statement())
    rows = transform_lines([with_id, without_id], "case.jsonl").rows.to_pylist()

    digest = hashlib.sha256(without_id).hexdigest()
    assert rows[0]["event_id"] == "e5a1f1c0-0000-4000-8000-000000000002"
    assert rows[1]["event_id"] == derived_event_id(hashlib.sha256(without_id).digest())
    assert rows[1]["event_id"][:8] == digest[:8]
    assert rows[1]["event_id"][14] == "8"
    assert rows[1]["payload_hash"] == int(digest[:16], 16)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"not json", "invalid_json"),
        (b"[1, 2]", "not_an_object"),
        (b"", "empty_line"),
        (b'{"actor": "caf\xe9"}', "invalid_utf8"),
        (line(statement(drop=("actor",))), "missing_actor"),
        (line(statement(verb={"display": {"en-US": "completed"}})), "missing_verb"),
        (line(statement(verb="completed")), "missing_verb"),
        (line(statement(drop=("object",))), "missing_object"),
        (line(statement(drop=("timestamp",))), "missing_timestamp"),
        (line(statement(timestamp=1770738127)), "invalid_timestamp"),
    ],
    ids=["not-json", "array", "empty", "latin-1", "no-actor", "verb-without-id", "verb-string", "no-object", "no-timestamp", "numeric-timestamp"],
)
def test_line_that_cannot_become_row_is_rejected(raw, reason):
    assert reject_reason(raw) == reason


def test_oversized_line_is_rejected_and_truncated():
    raw = line(statement(result={"response": "x" * 200_000}))
    transformed = transform_lines([raw], "case.jsonl", max_line_bytes=100_000)
    reject = transformed.rejects.to_pylist()[0]

    assert reject["reason"] == "line_too_large"
    assert reject["raw_size"] == len(raw)
    assert reject["raw"] == raw[:65536]
    assert reject["source_line"] == 1
