"""Python/pyarrow transform: JSONL lines to a raw_events Arrow table and a rejects table.

Each line is decoded with msgspec into structs that hold only the values the column map
reads (olap.ingest.decoding). A line those structs do not fit is read again with orjson,
which decides its reject reason or gives the same values. Columns are then built column
by column from the declarations of olap.ingest.mapping, with a vectorised pyarrow fast
path when a column's values already have the target type.
"""

from __future__ import annotations

import gc
import hashlib
import json
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import accumulate
from typing import Iterable, Iterator, Sequence

import msgspec
import orjson
import pyarrow as pa

from olap.ingest import mapping
from olap.ingest.decoding import StatementDecoder
from olap.ingest.mapping import Column
from olap.ingest.values import TimestampParser, to_bool, to_count, to_float, to_json_text, to_text, to_uint

BOM = b"\xef\xbb\xbf"
BLANK = re.compile(rb"[ \t\r\n]*")
# orjson reads an integer beyond the 64-bit range as a float; ClickHouse reads it as a
# string of its digits. Lines with a run of 19 or more digits are re-read to match. The
# run is found by mapping every digit to 0 and searching, which is far faster than re.
DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
LONG_DIGIT_RUN = b"0" * 19
OBJECT_KIND_PATH = ("object", "objectType")
NONE_TYPE = type(None)

ARROW_TYPES = {
    "text": pa.string(),
    "uint64": pa.uint64(),
    "uint32": pa.uint32(),
    "count": pa.uint32(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "json_text": pa.string(),
}
FAST_TYPES = {
    "text": {str, NONE_TYPE},
    "uint64": {int, NONE_TYPE},
    "uint32": {int, NONE_TYPE},
    "float": {float, int, NONE_TYPE},
    "bool": {bool, NONE_TYPE},
}
SLOW_CONVERSIONS = {
    "text": to_text,
    "uint64": lambda value: to_uint(value, 64),
    "uint32": lambda value: to_uint(value, 32),
    "count": to_count,
    "float": to_float,
    "bool": to_bool,
    "json_text": to_json_text,
}
EMPTY_VALUES = {"text": "", "json_text": "", "uint64": 0, "uint32": 0}


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector of the process for the duration of the block.

    A batch allocates hundreds of thousands of short-lived tuples and lists, and the
    collections they trigger made the transform about 40 % slower in
    bench/etl_throughput.py. None of them form reference cycles, so reference counting
    frees them all. Nested and
    concurrent pauses (from several threads) end when the last one does, and the
    collector is enabled again only if it was enabled when the first one began.
    """
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


def _row_schema() -> pa.Schema:
    derived = {
        "event_id": pa.string(),
        "source_file": pa.string(),
        "source_etag": pa.string(),
        "source_line": pa.uint64(),
        "timestamp": pa.timestamp("ms", tz="UTC"),
        "event_type": pa.string(),
        "payload_hash": pa.uint64(),
        "raw": pa.string(),
    }
    by_name = {column.name: ARROW_TYPES[column.kind] for column in mapping.COLUMNS}
    return pa.schema([pa.field(name, derived.get(name) or by_name[name]) for name in mapping.ROW_COLUMNS])


ROW_SCHEMA = _row_schema()
REJECT_SCHEMA = pa.schema(
    [
        pa.field("source_file", pa.string()),
        pa.field("source_etag", pa.string()),
        pa.field("source_line", pa.uint64()),
        pa.field("reason", pa.string()),
        pa.field("detail", pa.string()),
        pa.field("event_id", pa.string()),
        pa.field("raw_size", pa.uint64()),
        pa.field("raw", pa.binary()),
    ]
)


@dataclass
class Transformed:
    """Rows and rejects made from one batch of lines, plus how many timestamps had no offset."""

    rows: pa.Table
    rejects: pa.Table
    untimezoned: int


def derived_event_id(digest: bytes) -> str:
    """Format the first 16 bytes of a SHA-256 digest as a version 8 (custom) UUID."""
    text = digest[:16].hex()
    variant = "89ab"[(digest[8] >> 4) & 3]
    return f"{text[:8]}-{text[8:12]}-8{text[13:16]}-{variant}{text[17:20]}-{text[20:32]}"


def reject_row(source_file: str, source_etag: str, line_number: int, reason: str, raw: bytes, event_id: str = "") -> dict:
    """Build one raw_events_rejected row; the stored text is cut to REJECT_KEEP_BYTES."""
    return {
        "source_file": source_file,
        "source_etag": source_etag,
        "source_line": line_number,
        "reason": reason,
        "detail": mapping.REJECT_DETAILS[reason],
        "event_id": event_id,
        "raw_size": len(raw),
        "raw": raw[: mapping.REJECT_KEEP_BYTES],
    }


def _big_integer_or_digits(text: str) -> int | str:
    number = int(text)
    return number if -(2**63) <= number < 2**64 else text


def parse_line(line: bytes) -> tuple[object, str]:
    """Parse one line to a JSON value, or return (None, reason) for a line that is not JSON."""
    try:
        statement = orjson.loads(line)
    except orjson.JSONDecodeError:
        if line.startswith(BOM):
            return parse_line(line[len(BOM):])
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            return None, "invalid_utf8"
        return None, "empty_line" if BLANK.fullmatch(line) else "invalid_json"
    if line.translate(DIGITS_TO_ZERO).find(LONG_DIGIT_RUN) >= 0:
        statement = json.loads(line.decode("utf-8"), parse_int=_big_integer_or_digits)
    return statement, ""


def _decoder_paths() -> list[mapping.Path]:
    paths = [mapping.VERB_ID_PATH, mapping.OBJECT_TYPE_PATH, mapping.STATEMENT_ID_PATH, OBJECT_KIND_PATH]
    paths += list(mapping.TIMESTAMP_PATHS)
    paths += [path for column in mapping.COLUMNS for path in column.sources]
    return paths


DECODER = StatementDecoder(_decoder_paths(), [key for key, _ in mapping.REQUIRED_OBJECTS])
VERB_ID = DECODER.accessor(mapping.VERB_ID_PATH)
TIMESTAMPS = tuple(DECODER.accessor(path) for path in mapping.TIMESTAMP_PATHS)


def read_statement_slowly(line: bytes) -> tuple[msgspec.Struct | None, str]:
    """Read a line the typed decoder rejected with orjson: its statement struct, or (None, reason)."""
    statement, reason = parse_line(line)
    if reason:
        return None, reason
    if type(statement) is not dict:
        return None, "not_an_object"
    for key, reason in mapping.REQUIRED_OBJECTS:
        if type(statement.get(key)) is not dict:
            return None, reason
    return DECODER.from_dict(statement), ""


def check_statement(statement: msgspec.Struct) -> tuple[str, str | None]:
    """Return ('', timestamp text) for a decoded statement that can become a row, else (reason, None)."""
    verb_id = VERB_ID(statement)
    if type(verb_id) is not str or verb_id == "":
        return "missing_verb", None
    timestamp = None
    for timestamp_at in TIMESTAMPS:
        timestamp = timestamp_at(statement)
        if timestamp is not None:
            break
    if timestamp is None:
        return "missing_timestamp", None
    if type(timestamp) is not str:
        return "invalid_timestamp", None
    return "", timestamp


def transform_lines(
    lines: Iterable[bytes | str],
    source_file: str,
    source_etag: str = "",
    *,
    first_line: int = 1,
    max_line_bytes: int = mapping.DEFAULT_MAX_LINE_BYTES,
) -> Transformed:
    """Transform JSONL lines (without their newline) into raw_events rows and rejects.

    Line numbers start at `first_line`. Every line becomes exactly one row or one reject.
    The cyclic garbage collector of the process is paused meanwhile (see gc_paused).
    """
    with gc_paused():
        return _transform(lines, source_file, source_etag, first_line, max_line_bytes)


def _transform(lines: Iterable[bytes | str], source_file: str, source_etag: str, first_line: int, max_line_bytes: int) -> Transformed:
    statements: list[msgspec.Struct] = []
    raw_lines: list[bytes] = []
    line_numbers: list[int] = []
    timestamps: list[int] = []
    rejects: list[dict] = []
    untimezoned = 0
    decode = DECODER.decode
    parse_timestamp = TimestampParser().parse

    for number, line in enumerate(lines, first_line):
        if type(line) is str:
            try:
                line = line.encode("utf-8")
            except UnicodeEncodeError:
                line = line.encode("utf-8", "surrogatepass")
        if len(line) > max_line_bytes:
            rejects.append(reject_row(source_file, source_etag, number, "line_too_large", line))
            continue
        try:
            statement, reason = decode(line), ""
            # msgspec skips the values no column reads without checking their UTF-8 or
            # whether a number overflows a double, so orjson checks the whole line.
            orjson.loads(line)
        except (msgspec.MsgspecError, orjson.JSONDecodeError, RecursionError):
            statement, reason = read_statement_slowly(line)
        if not reason:
            reason, timestamp_text = check_statement(statement)
        if not reason:
            parsed = parse_timestamp(timestamp_text)
            if parsed is None:
                reason = "invalid_timestamp"
        if reason:
            rejects.append(reject_row(source_file, source_etag, number, reason, line))
            continue
        statements.append(statement)
        raw_lines.append(line)
        line_numbers.append(number)
        timestamps.append(parsed[0])
        untimezoned += not parsed[1]

    rows = build_rows(statements, raw_lines, line_numbers, timestamps, source_file, source_etag)
    return Transformed(rows, pa.Table.from_pylist(rejects, schema=REJECT_SCHEMA), untimezoned)


def build_rows(
    statements: list[msgspec.Struct],
    raw_lines: list[bytes],
    line_numbers: list[int],
    timestamps: list[int],
    source_file: str,
    source_etag: str,
) -> pa.Table:
    """Build the raw_events Arrow table of accepted statements, column by column."""
    count = len(statements)
    digests = [hashlib.sha256(line).digest() for line in raw_lines]
    values = DECODER.columns(statements)
    verb_ids = values[mapping.VERB_ID_PATH]
    event_types = classify(verb_ids, values[mapping.OBJECT_TYPE_PATH])
    conditions = condition_masks(verb_ids, values[OBJECT_KIND_PATH], event_types)

    columns: dict[str, pa.Array] = {
        "event_id": pa.array(event_ids(values[mapping.STATEMENT_ID_PATH], digests), pa.string()),
        "source_file": pa.array([source_file] * count, pa.string()),
        "source_etag": pa.array([source_etag] * count, pa.string()),
        "source_line": pa.array(line_numbers, pa.uint64()),
        "timestamp": pa.array(timestamps, pa.timestamp("ms", tz="UTC")),
        "event_type": pa.array(event_types, pa.string()),
        "payload_hash": pa.array([int.from_bytes(digest[:8], "big") for digest in digests], pa.uint64()),
        "raw": utf8_array(raw_lines),
    }
    for column in mapping.COLUMNS:
        column_values = first_present([values[path] for path in column.sources])
        if column.only_for:
            column_values = [value if keep else None for value, keep in zip(column_values, conditions[column.only_for])]
        columns[column.name] = convert(column, column_values)
    return pa.Table.from_arrays([columns[name] for name in mapping.ROW_COLUMNS], schema=ROW_SCHEMA)


def utf8_array(lines: list[bytes]) -> pa.Array:
    """Build a string array of lines known to be valid UTF-8, from one joined buffer.

    Every accepted line was decoded as JSON, which only reads valid UTF-8, so the bytes
    need no check. Joining them once is several times faster than pa.array(lines).
    """
    offsets = list(accumulate(map(len, lines), initial=0))
    if offsets[-1] >= 2**31:
        # Beyond the 32-bit offsets of a string array, so pyarrow's own builder splits it.
        return pa.array(lines, pa.binary()).cast(pa.string())
    offset_buffer = pa.array(offsets, pa.int32()).buffers()[1]
    return pa.Array.from_buffers(pa.string(), len(lines), [None, offset_buffer, pa.py_buffer(b"".join(lines))])


def first_present(sources: list[Sequence]) -> Sequence:
    """Per statement, the value of the first source that is present and not null."""
    merged = sources[0]
    for others in sources[1:]:
        # A later source that is missing everywhere (the https:// form of an OLI key in
        # Torus data, for one) changes nothing.
        if others.count(None) < len(others):
            merged = [value if value is not None else other for value, other in zip(merged, others)]
    return merged


def classify(verb_ids: list, object_types: list) -> list[str]:
    """Event type of each statement by the first matching rule of EVENT_TYPE_RULES."""
    rules_by_verb = mapping.event_type_rules_by_object_type()
    known: dict[tuple[str, str | None], str] = {}
    event_types = []
    for verb_id, object_type in zip(verb_ids, object_types):
        if type(object_type) is not str:
            object_type = None
        event_type = known.get((verb_id, object_type))
        if event_type is None:
            event_type = known[verb_id, object_type] = event_type_of(rules_by_verb.get(verb_id, ()), object_type)
        event_types.append(event_type)
    return event_types


def event_type_of(rules: tuple[mapping.EventTypeRule, ...], object_type: str | None) -> str:
    """Event type given by the first of `rules` (those of one verb) that the object type meets."""
    for rule in rules:
        if not rule.object_types or object_type in rule.object_types:
            return rule.event_type
    return mapping.UNKNOWN_EVENT_TYPE


def condition_masks(verb_ids: list, object_kinds: list, event_types: list[str]) -> dict[str, list[bool]]:
    """For each condition of mapping.CONDITIONS, whether each statement meets it."""
    return {
        "video": [event_type == "video" for event_type in event_types],
        "video_played": [verb == mapping.VERB_VIDEO_PLAYED for verb in verb_ids],
        "voiding": [verb == mapping.VERB_VOIDED and kind == "StatementRef" for verb, kind in zip(verb_ids, object_kinds)],
    }


def event_ids(statement_ids: list, digests: list[bytes]) -> list[str]:
    """The statement id when it is a non-empty string, else an id derived from the line bytes."""
    return [
        statement_id if type(statement_id) is str and statement_id else derived_event_id(digest)
        for statement_id, digest in zip(statement_ids, digests)
    ]


def convert(column: Column, values: list) -> pa.Array:
    """Convert one column's JSON values to its Arrow type by the column's kind."""
    arrow_type = ARROW_TYPES[column.kind]
    array = None
    fast_types = FAST_TYPES.get(column.kind)
    if fast_types is not None and set(map(type, values)) <= fast_types:
        try:
            array = pa.array(values, arrow_type)
        except (pa.ArrowInvalid, OverflowError):
            array = None
    if array is None:
        conversion = SLOW_CONVERSIONS[column.kind]
        array = pa.array([None if value is None else conversion(value) for value in values], arrow_type)
    if not column.nullable and array.null_count:
        array = array.fill_null(EMPTY_VALUES[column.kind])
    return array
