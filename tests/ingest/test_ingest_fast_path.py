"""The typed msgspec decoding and the fast timestamp parser give what the orjson path gives."""

from __future__ import annotations

import gc
import random

import msgspec
import pytest

from olap.ingest import transform
from olap.ingest.decoding import StatementDecoder
from olap.ingest.transform import gc_paused, transform_lines
from olap.ingest.values import TimestampParser, parse_timestamp

from .conftest import OLI, line, read_lines, statement
from .test_ingest_identity import edge_case_lines

HTTPS_OLI = "https://oli.cmu.edu/extensions/"


def lines_the_decoder_may_not_fit() -> list[bytes]:
    """Lines whose values sit at the edges of what the typed structs accept."""
    cases = [
        statement(extensions={OLI + "section_id": 2**63 - 1, OLI + "project_id": 2**63}),
        statement(extensions={OLI + "section_id": 2**64 - 1, OLI + "publication_id": 2**64}),
        statement(extensions={OLI + "session_id": 10**30, OLI + "page_attempt_number": -(2**63) - 1}),
        statement(actor={"account": {"name": 123456789012345678901234567890, "homePage": "x"}}),
        statement(result={"response": {"big": 123456789012345678901234567890, "small": [1, 2.5]}}),
        statement(result={"response": [18446744073709551616, -9223372036854775809]}),
        statement(result={"score": {"raw": 10**400 // 10**100, "max": 1e300}}),
        statement(extensions={OLI + "attached_objectives": [[[[1]]]], OLI + "hints_requested": {"a": 1}}),
        statement(extensions={HTTPS_OLI + "section_id": 77, HTTPS_OLI + "page_id": "12"}),
        statement(extensions={OLI + "part_id": None, HTTPS_OLI + "part_id": "2"}),
        statement(id=12345678901234567890123),
        statement(verb={"id": 12345678901234567890123}),
        statement(result=None),
        statement(context={"extensions": None}),
        statement(context="not an object"),
        statement(object={"id": "x", "definition": []}),
        statement(object={"id": "x", "definition": {"type": ["a"]}}),
        statement(actor={"account": "name"}),
        statement(timestamp=20260210),
    ]
    lines = [line(case) for case in cases]
    base = line(statement())
    lines += [
        # A key written with escapes is the same key.
        base.replace(b'"http://oli.cmu.edu/extensions/section_id"', b'"http:\\/\\/oli.cmu.edu\\/extensions\\/section_id"'),
        # The last of duplicate keys wins on both paths.
        base[:-1] + b',"timestamp":"2026-03-01T00:00:00Z"}',
        b"\xef\xbb\xbf" + base,
        base + b" \r",
        b'{"actor":{},"verb":{"id":"v"},"object":{},"timestamp":"2026-02-10T15:42:07Z","result":{"response":' + b"[" * 200 + b"]" * 200 + b"}}",
        b'{"actor":{},"verb":{"id":"v"},"object":{},"timestamp":"2026-02-10T15:42:07Z","x":' + b"[" * 2000 + b"]" * 2000 + b"}",
        b'{"actor":{},"verb":{"id":"v"},"object":{},"timestamp":"2026-02-10T15:42:07Z","x":"\\ud800"}',
        # Values that no column reads, which msgspec skips without checking them.
        base[:-1] + b',"unread":"\xff\xfe"}',
        base[:-1] + b',"unread":{"key":"\xed\xa0\x80"}}',
        base[:-1] + b',"unread\xff":1}',
        base[:-1] + b',"unread":[2e308]}',
        base[:-1] + b',"unread":-1E+999}',
        base[:-1] + b',"unread":1' + b"0" * 400 + b"}",
        base[:-1] + b',"unread":1e-999}',
    ]
    return lines


def transform_without_typed_decoding(monkeypatch, lines: list[bytes]):
    def reject_every_line(line: bytes):
        raise msgspec.DecodeError("forced onto the orjson path")

    with monkeypatch.context() as patch:
        patch.setattr(transform.DECODER, "decode", reject_every_line)
        return transform_lines(lines, "case.jsonl")


@pytest.mark.parametrize("source", ["edge-cases", "decoder-edges", "shared-samples"])
def test_typed_and_orjson_paths_give_same_rows(monkeypatch, xapi_files, source):
    if source == "edge-cases":
        lines = edge_case_lines()
    elif source == "decoder-edges":
        lines = lines_the_decoder_may_not_fit()
    else:
        lines = [raw for path in xapi_files.values() for raw in read_lines(path)]

    typed = transform_lines(lines, "case.jsonl")
    slow = transform_without_typed_decoding(monkeypatch, lines)

    assert typed.rows.num_rows + typed.rejects.num_rows == len(lines)
    assert typed.rows.to_pylist() == slow.rows.to_pylist()
    assert typed.rejects.to_pylist() == slow.rejects.to_pylist()
    assert typed.untimezoned == slow.untimezoned


def test_edge_integers_convert_like_orjson_path():
    rows = transform_lines(lines_the_decoder_may_not_fit()[:3], "case.jsonl").rows.to_pylist()

    assert rows[0]["section_id"] == 2**63 - 1
    assert rows[0]["project_id"] == 2**63
    assert rows[1]["section_id"] == 2**64 - 1
    assert rows[1]["publication_id"] is None
    assert rows[2]["session_id"] == "1" + "0" * 30


TIMESTAMP_TEXTS = [
    "2026-02-10T15:42:07Z",
    "2026-02-10T15:42:07.1Z",
    "2026-02-10T15:42:07.123456Z",
    "2026-02-10T15:42:07.123456789Z",
    "2026-02-10T15:42:07.1234567890Z",
    "2026-02-10T15:42:07.Z",
    "2026-02-10T15:42:60Z",
    "2024-02-29T23:59:60.5Z",
    "2026-02-10T24:00:00Z",
    "2026-02-10T23:60:00Z",
    "2026-02-29T10:00:00Z",
    "2026-13-01T10:00:00Z",
    "1900-01-01T00:00:00Z",
    "1899-12-31T23:59:59.999Z",
    "2299-12-31T23:59:59.999Z",
    "2300-01-01T00:00:00Z",
    "2026-02-10t15:42:07z",
    "2026-02-10 15:42:07Z",
    "2026-02-10T15:42:07+01:00",
    "2026-02-10T15:4２:07Z",
    "2026-02-10T1５:42:07Z",
    "2026-02-10T15:42:0７Z",
    "2026-02-10T15:42:07.１Z",
    "2026-02-10T15-42-07Z",
    "2026-02-10T15:42:07ZZ",
    "2026-02-10T15:42:07 Z",
    "2026-02-10T15:42:07.+1Z",
    "2026-02-10T15:42:07.-1Z",
    "2026-02-10T15:42:-7Z",
    "2026-02-10T+5:42:07Z",
    "20260-2-10T15:42:07Z",
    "",
    "Z",
]


@pytest.mark.parametrize("text", TIMESTAMP_TEXTS, ids=lambda text: repr(text))
def test_timestamp_parser_matches_parse_timestamp(text):
    parser = TimestampParser()

    assert parser.parse(text) == parse_timestamp(text)
    assert parser.parse(text) == parse_timestamp(text), "a cached day gives a different result"


def test_timestamp_parser_matches_on_random_times():
    rng = random.Random(11)
    parser = TimestampParser()
    for _ in range(3000):
        text = (
            f"{rng.choice([1899, 1900, 1970, 2024, 2026, 2299, 2300])}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}"
            f"T{rng.randint(0, 25):02d}:{rng.randint(0, 61):02d}:{rng.randint(0, 61):02d}"
            f"{rng.choice(['', '.', '.5', '.123', '.999999', '.1234567891'])}Z"
        )
        assert parser.parse(text) == parse_timestamp(text), text


def test_gc_pause_restores_collector_state():
    assert gc.isenabled()
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()

    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled(), "a pause enabled a collector that was disabled before it"
    finally:
        gc.enable()


def test_required_object_without_paths_is_checked():
    decoder = StatementDecoder([("verb", "id")], ["actor", "verb"])

    assert decoder.accessor(("verb", "id"))(decoder.decode(b'{"actor":{},"verb":{"id":"v"}}')) == "v"
    with pytest.raises(msgspec.ValidationError, match="actor"):
        decoder.decode(b'{"actor":1,"verb":{"id":"v"}}')
    with pytest.raises(msgspec.ValidationError, match="actor"):
        decoder.decode(b'{"verb":{"id":"v"}}')
