"""Python/pyarrow transform: JSONL lines to a raw_events Arrow table and a rejects table.

Statements are parsed one by one with orjson; columns are then built column by column
from the declarations of olap.ingest.mapping, with a vectorised pyarrow fast path when a
column's values already have the target type.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Iterable

import orjson
import pyarrow as pa

from olap.ingest import mapping
from olap.ingest.mapping import Column
from olap.ingest.values import parse_timestamp, to_bool, to_count, to_float, to_json_text, to_text, to_uint

BOM = b"\xef\xbb\xbf"
BLANK = re.compile(rb"[ \t\r\n]*")
# orjson reads an integer beyond the 64-bit range as a float; ClickHouse reads it as a
# string of its digits. Lines with a run of 19 or more digits are re-read to match. The
# run is found by mapping every digit to 0 and searching, which is far faster than re.
DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
LONG_DIGIT_RUN = b"0" * 19
HTTPS_OLI = mapping.OLI_PREFIXES[1].encode()
EMPTY: dict = {}
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


def check_statement(statement: object) -> tuple[str, str | None]:
    """Return ('', timestamp text) for a statement that can become a row, else (reason, None)."""
    if type(statement) is not dict:
        return "not_an_object", None
    for key, reason in mapping.REQUIRED_OBJECTS:
        if type(statement.get(key)) is not dict:
            return reason, None
    verb_id = statement["verb"].get("id")
    if type(verb_id) is not str or verb_id == "":
        return "missing_verb", None
    timestamp = None
    for (key,) in mapping.TIMESTAMP_PATHS:
        timestamp = statement.get(key)
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
    """
    statements: list[dict] = []
    raw_lines: list[bytes] = []
    line_numbers: list[int] = []
    timestamps: list[int] = []
    rejects: list[dict] = []
    untimezoned = 0

    for offset, line in enumerate(lines):
        number = first_line + offset
        if type(line) is str:
            try:
                line = line.encode("utf-8")
            except UnicodeEncodeError:
                line = line.encode("utf-8", "surrogatepass")
        if len(line) > max_line_bytes:
            rejects.append(reject_row(source_file, source_etag, number, "line_too_large", line))
            continue
        statement, reason = parse_line(line)
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
    statements: list[dict],
    raw_lines: list[bytes],
    line_numbers: list[int],
    timestamps: list[int],
    source_file: str,
    source_etag: str,
) -> pa.Table:
    """Build the raw_events Arrow table of accepted statements, column by column."""
    count = len(statements)
    values = PathValues(statements, [HTTPS_OLI in line for line in raw_lines])
    digests = [hashlib.sha256(line).digest() for line in raw_lines]
    event_types = classify(values)
    conditions = condition_masks(values, event_types)

    columns: dict[str, pa.Array] = {
        "event_id": pa.array(event_ids(values.at(mapping.STATEMENT_ID_PATH), digests), pa.string()),
        "source_file": pa.array([source_file] * count, pa.string()),
        "source_etag": pa.array([source_etag] * count, pa.string()),
        "source_line": pa.array(line_numbers, pa.uint64()),
        "timestamp": pa.array(timestamps, pa.timestamp("ms", tz="UTC")),
        "event_type": pa.array(event_types, pa.string()),
        "payload_hash": pa.array([int.from_bytes(digest[:8], "big") for digest in digests], pa.uint64()),
        "raw": pa.array(raw_lines, pa.binary()).cast(pa.string()),
    }
    for column in mapping.COLUMNS:
        column_values = values.first_present(column.sources)
        if column.only_for:
            column_values = [value if keep else None for value, keep in zip(column_values, conditions[column.only_for])]
        columns[column.name] = convert(column, column_values)
    return pa.Table.from_arrays([columns[name] for name in mapping.ROW_COLUMNS], schema=ROW_SCHEMA)


class PathValues:
    """Values at JSON paths of a list of statements, each path read once per batch."""

    def __init__(self, statements: list[dict], https_oli_rows: list[bool]):
        self.statements = statements
        # Torus writes http:// OLI keys; https:// ones are looked up only in lines that
        # contain the https:// prefix at all, which saves a lookup per column and row.
        self.https_oli_rows = https_oli_rows
        self._values: dict[tuple[str, ...], list] = {}
        self._objects: dict[tuple[str, ...], list] = {}

    def objects(self, path: tuple[str, ...]) -> list[dict]:
        if not path:
            return self.statements
        if path not in self._objects:
            self._objects[path] = [value if type(value) is dict else EMPTY for value in self.at(path)]
        return self._objects[path]

    def at(self, path: tuple[str, ...]) -> list:
        if path not in self._values:
            key = path[-1]
            parents = self.objects(path[:-1])
            if not key.startswith(mapping.OLI_PREFIXES[1]):
                self._values[path] = [parent.get(key) for parent in parents]
            elif any(self.https_oli_rows):
                self._values[path] = [parent.get(key) if present else None for parent, present in zip(parents, self.https_oli_rows)]
            else:
                self._values[path] = [None] * len(parents)
        return self._values[path]

    def first_present(self, paths: tuple[tuple[str, ...], ...]) -> list:
        """Per statement, the value of the first path that is present and not null."""
        merged = self.at(paths[0])
        for path in paths[1:]:
            merged = [value if value is not None else other for value, other in zip(merged, self.at(path))]
        return merged


def classify(values: PathValues) -> list[str]:
    """Event type of each statement by the first matching rule of EVENT_TYPE_RULES."""
    rules_by_verb = mapping.event_type_rules_by_object_type()
    event_types = []
    for verb_id, object_type in zip(values.at(mapping.VERB_ID_PATH), values.at(mapping.OBJECT_TYPE_PATH)):
        event_type = mapping.UNKNOWN_EVENT_TYPE
        for rule in rules_by_verb.get(verb_id, ()):
            if not rule.object_types or (type(object_type) is str and object_type in rule.object_types):
                event_type = rule.event_type
                break
        event_types.append(event_type)
    return event_types


def condition_masks(values: PathValues, event_types: list[str]) -> dict[str, list[bool]]:
    """For each condition of mapping.CONDITIONS, whether each statement meets it."""
    verbs = values.at(mapping.VERB_ID_PATH)
    object_kinds = values.at(("object", "objectType"))
    return {
        "video": [event_type == "video" for event_type in event_types],
        "video_played": [verb == mapping.VERB_VIDEO_PLAYED for verb in verbs],
        "voiding": [verb == mapping.VERB_VOIDED and kind == "StatementRef" for verb, kind in zip(verbs, object_kinds)],
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
