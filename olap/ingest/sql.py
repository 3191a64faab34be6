"""ClickHouse SQL twin of the Python transform, built from the same column map.

`row_select_sql(source)` and `reject_select_sql(source)` read a table expression with the
columns `raw` (one JSONL line), `source_file`, `source_etag` and `source_line`. The first
gives the raw_events rows of those lines and the second the raw_events_rejected rows, so
every line lands in exactly one of the two. Both bind `{max_line_bytes:UInt64}`. A backfill runs
`INSERT INTO raw_events (<ROW_COLUMNS>) <row_select_sql(...)>`.

Only functions that return a value for any input are used (JSON*, *OrNull, match), so a
bad line never fails the statement.
"""

from __future__ import annotations

import re

from olap.ingest import mapping
from olap.ingest.mapping import Column
from olap.ingest.values import MAX_TIMESTAMP_MS, MIN_TIMESTAMP_MS, TIMESTAMP_PATTERN

NUMERIC_TYPES = "('Int64', 'UInt64', 'Double')"
INTEGER_TYPES = "('Int64', 'UInt64')"
UINT_PATTERN = "^[0-9]{1,20}$"
JSON_NUMBER_PATTERN = "^-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$"
BLANK_PATTERN = "^[ \\t\\r\\n]*$"


def quote(text: str) -> str:
    """Quote a constant of the column map as a ClickHouse string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quote_list(texts) -> str:
    return "(" + ", ".join(quote(text) for text in sorted(texts)) + ")"


def helper_name(path: tuple[str, ...]) -> str:
    """Name of the helper column holding the JSON text of an object path."""
    return "json_" + "_".join(re.sub(r"[^A-Za-z0-9]+", "_", key).strip("_") for key in path)


def value_raw(path: tuple[str, ...], direct: bool = False) -> str:
    """JSON text of the value at `path` ('' when missing).

    It is read from the parent's helper column, unless `direct`: each JSONExtractRaw writes
    numbers anew, and a second pass turns a float -0.0 into the integer 0 and an integral
    float of 2**64 or more into a string, so floats and JSON text are read in one pass.
    """
    if direct or len(path) == 1:
        return f"JSONExtractRaw(raw, {', '.join(quote(key) for key in path)})"
    return f"JSONExtractRaw({helper_name(path[:-1])}, {quote(path[-1])})"


def first_present(paths: tuple[tuple[str, ...], ...], direct: bool = False) -> str:
    """JSON text of the first path whose value is present and not null."""
    if len(paths) == 1:
        return value_raw(paths[0], direct)
    branches = [f"JSONType({value_raw(path, direct)}) != 'Null', {value_raw(path, direct)}" for path in paths[:-1]]
    return f"multiIf({', '.join(branches)}, {value_raw(paths[-1], direct)})"


def uint_expression(value: str, bits: int) -> str:
    text = f"JSONExtractString({value})"
    as_uint64 = (
        f"multiIf(JSONType({value}) = 'Int64', if(JSONExtractInt({value}) >= 0, toUInt64(JSONExtractInt({value})), NULL),"
        f" JSONType({value}) = 'UInt64', toNullable(JSONExtractUInt({value})),"
        f" JSONType({value}) = 'Double', if(JSONExtractFloat({value}) = floor(JSONExtractFloat({value}))"
        f" AND JSONExtractFloat({value}) >= 0 AND JSONExtractFloat({value}) < 9007199254740992, toUInt64(JSONExtractFloat({value})), NULL),"
        f" JSONType({value}) = 'String' AND match({text}, {quote(UINT_PATTERN)}), toUInt64OrNull({text}),"
        " NULL)"
    )
    if bits == 64:
        return as_uint64
    return f"if({as_uint64} < 4294967296, toUInt32({as_uint64}), NULL)"


def float_expression(value: str) -> str:
    # A string holding a number is read by the JSON parser, which rounds exactly like
    # the one that reads numbers of the statement; digits beyond 64 bits it types String.
    text = f"JSONExtractString({value})"
    number = (
        f"multiIf(JSONType({value}) IN {NUMERIC_TYPES}, toNullable(JSONExtractFloat({value})),"
        f" JSONType({value}) = 'String' AND match({text}, {quote(JSON_NUMBER_PATTERN)}),"
        f" multiIf(JSONType({text}) IN {NUMERIC_TYPES}, toNullable(JSONExtractFloat({text})), JSONType({text}) = 'String', toFloat64OrNull({text}), NULL),"
        " NULL)"
    )
    return f"if(isFinite(ifNull({number}, 0)), {number}, NULL)"


def bool_expression(value: str) -> str:
    lowered = f"lower(JSONExtractString({value}))"
    return (
        f"CAST(multiIf(JSONType({value}) = 'Bool', toNullable(JSONExtractBool({value}) = 1),"
        f" JSONType({value}) IN {NUMERIC_TYPES}, multiIf(JSONExtractFloat({value}) = 1, true, JSONExtractFloat({value}) = 0, false, NULL),"
        f" JSONType({value}) = 'String', multiIf({lowered} IN ('true', '1'), true, {lowered} IN ('false', '0'), false, NULL),"
        " NULL) AS Nullable(Bool))"
    )


def text_expression(value: str) -> str:
    return f"multiIf(JSONType({value}) = 'String', JSONExtractString({value}), JSONType({value}) IN {INTEGER_TYPES}, {value}, '')"


def json_text_expression(value: str) -> str:
    return f"multiIf(JSONType({value}) = 'String', JSONExtractString({value}), JSONType({value}) = 'Null', '', {value})"


def converted(column: Column) -> str:
    """Expression of one mapped column, converted by its kind, over the helper columns."""
    value = first_present(column.sources, direct=column.kind in ("float", "json_text"))
    if column.kind == "text":
        expression = text_expression(value)
    elif column.kind == "json_text":
        expression = json_text_expression(value)
    elif column.kind == "uint64":
        expression = uint_expression(value, 64)
    elif column.kind == "uint32":
        expression = uint_expression(value, 32)
    elif column.kind == "count":
        expression = f"if(JSONType({value}) = 'Array', toNullable(toUInt32(JSONLength({value}))), {uint_expression(value, 32)})"
    elif column.kind == "float":
        expression = float_expression(value)
    else:
        expression = bool_expression(value)

    empty = {"text": "''", "json_text": "''"}.get(column.kind, "NULL")
    if column.only_for:
        expression = f"if({condition(column.only_for)}, {expression}, {empty})"
    if not column.nullable and column.kind in ("uint64", "uint32"):
        expression = f"ifNull({expression}, 0)"
    return expression


def condition(name: str) -> str:
    if name == "video":
        return "event_type = 'video'"
    if name == "video_played":
        return f"verb = {quote(mapping.VERB_VIDEO_PLAYED)}"
    if name == "voiding":
        return f"verb = {quote(mapping.VERB_VOIDED)} AND JSONExtractString({helper_name(('object',))}, 'objectType') = 'StatementRef'"
    raise ValueError(f"unknown column condition {name!r}; add it to mapping.CONDITIONS and both transforms")


def event_type_expression() -> str:
    object_type = f"JSONExtractString({helper_name(('object', 'definition'))}, 'type')"
    branches = []
    for rule in mapping.EVENT_TYPE_RULES:
        test = f"verb IN {quote_list(rule.verbs)}"
        if rule.object_types:
            test += f" AND {object_type} IN {quote_list(rule.object_types)}"
        branches.append(f"{test}, {quote(rule.event_type)}")
    return f"multiIf({', '.join(branches)}, {quote(mapping.UNKNOWN_EVENT_TYPE)})"


def derived_event_id_expression() -> str:
    """SQL twin of transform.derived_event_id: a version 8 UUID from the line's SHA-256."""
    digest = "SHA256(raw)"
    text = f"lower(hex(substring({digest}, 1, 16)))"
    variant = f"substring('89ab', bitAnd(bitShiftRight(reinterpretAsUInt8(substring({digest}, 9, 1)), 4), 3) + 1, 1)"
    return (
        f"concat(substring({text}, 1, 8), '-', substring({text}, 9, 4), '-8', substring({text}, 14, 3), '-',"
        f" {variant}, substring({text}, 18, 3), '-', substring({text}, 21, 12))"
    )


def timestamp_helpers() -> dict[str, str]:
    """Helper columns that parse the statement time exactly like values.parse_timestamp."""
    group = lambda index: f"ts_groups[{index}]"  # noqa: E731
    year, month, day = (f"toInt64OrZero({group(i)})" for i in (1, 2, 3))
    hour, minute, second = (f"toInt64OrZero({group(i)})" for i in (4, 5, 6))
    shifted_year = f"({year} - if({month} <= 2, 1, 0))"
    era = f"intDiv({shifted_year}, 400)"
    year_of_era = f"({shifted_year} - {era} * 400)"
    day_of_year = f"(intDiv(153 * ({month} + if({month} > 2, -3, 9)) + 2, 5) + {day} - 1)"
    day_of_era = f"({year_of_era} * 365 + intDiv({year_of_era}, 4) - intDiv({year_of_era}, 100) + {day_of_year})"
    days = f"({era} * 146097 + {day_of_era} - 719468)"
    leap = f"(({year} % 4 = 0 AND {year} % 100 != 0) OR {year} % 400 = 0)"
    month_days = f"if({month} = 2, if({leap}, 29, 28), if({month} IN (4, 6, 9, 11), 30, 31))"
    offset_digits = f"replaceAll(substring({group(8)}, 2), ':', '')"
    offset_hours = f"toInt64OrZero(substring({offset_digits}, 1, 2))"
    offset_rest = f"toInt64OrZero(substring({offset_digits}, 3, 2))"
    has_offset = f"{group(8)} NOT IN ('', 'Z', 'z')"
    offset_minutes = f"if({has_offset}, ({offset_hours} * 60 + {offset_rest}) * if(startsWith({group(8)}, '-'), -1, 1), 0)"
    fraction_ms = f"toInt64OrZero(substring(concat({group(7)}, '000'), 1, 3))"
    epoch_ms = (
        f"({days} * 86400000 + {hour} * 3600000 + {minute} * 60000 + {second} * 1000 + {fraction_ms} - {offset_minutes} * 60000)"
    )
    valid = (
        f"length(ts_groups) = 8 AND {group(1)} != '' AND {month} BETWEEN 1 AND 12 AND {day} BETWEEN 1 AND {month_days}"
        f" AND {hour} <= 23 AND {minute} <= 59 AND {second} <= 60"
        f" AND (NOT {has_offset} OR ({offset_hours} <= 23 AND {offset_rest} <= 59))"
        f" AND {epoch_ms} BETWEEN {MIN_TIMESTAMP_MS} AND {MAX_TIMESTAMP_MS}"
    )
    timestamp_value = first_present(mapping.TIMESTAMP_PATHS)
    return {
        "ts_value": timestamp_value,
        "ts_groups": f"extractGroups(if(JSONType(ts_value) = 'String', JSONExtractString(ts_value), ''), {quote(TIMESTAMP_PATTERN)})",
        "ts_valid": valid,
        "ts_ms": f"if(ts_valid, {epoch_ms}, 0)",
        "ts_has_offset": f"{group(8)} != ''",
    }


def reject_reason_expression() -> str:
    checks = [
        ("length(raw) > {max_line_bytes:UInt64}", "line_too_large"),
        ("NOT isValidUTF8(raw)", "invalid_utf8"),
        (f"match(raw, {quote(BLANK_PATTERN)})", "empty_line"),
        ("NOT isValidJSON(raw)", "invalid_json"),
        ("JSONType(raw) != 'Object'", "not_an_object"),
    ]
    checks += [(f"JSONType(raw, {quote(key)}) != 'Object'", reason) for key, reason in mapping.REQUIRED_OBJECTS]
    checks += [
        ("JSONType(raw, 'verb', 'id') != 'String' OR JSONExtractString(raw, 'verb', 'id') = ''", "missing_verb"),
        ("JSONType(ts_value) = 'Null'", "missing_timestamp"),
        ("NOT ts_valid", "invalid_timestamp"),
    ]
    return "multiIf(" + ", ".join(f"{test}, {quote(reason)}" for test, reason in checks) + ", '')"


def object_paths() -> list[tuple[str, ...]]:
    """Every object path whose JSON text some expression reads, parents first."""
    paths = {("object",), ("object", "definition")}
    for column in mapping.COLUMNS:
        for source in column.sources:
            paths.update(source[:length] for length in range(1, len(source)))
    return sorted(paths, key=lambda path: (len(path), path))


def prepared_source(source: str) -> str:
    """The lines of `source` with their object helpers, timestamp parts and reject reason."""
    helpers = [f"{value_raw(path)} AS {helper_name(path)}" for path in object_paths()]
    helpers += [f"{expression} AS {name}" for name, expression in timestamp_helpers().items()]
    helpers.append(f"JSONExtractString(raw, 'verb', 'id') AS verb")
    helpers.append(f"{reject_reason_expression()} AS reject_reason")
    helpers.append("toUInt64(length(raw)) AS line_size")
    return f"(SELECT raw, source_file, source_etag, source_line, {', '.join(helpers)} FROM {source})"


def row_expressions() -> list[tuple[str, str]]:
    """(column, expression) for every raw_events column in ROW_COLUMNS order."""
    by_name = {column.name: converted(column) for column in mapping.COLUMNS}
    by_name.update(
        {
            "event_id": f"if(JSONType(raw, 'id') = 'String' AND JSONExtractString(raw, 'id') != '', JSONExtractString(raw, 'id'), {derived_event_id_expression()})",
            "source_file": "source_file",
            "source_etag": "source_etag",
            "source_line": "toUInt64(source_line)",
            "timestamp": "fromUnixTimestamp64Milli(ts_ms, 'UTC')",
            "event_type": event_type_expression(),
            "payload_hash": "reinterpretAsUInt64(reverse(substring(SHA256(raw), 1, 8)))",
            "raw": "raw",
        }
    )
    return [(name, by_name[name]) for name in mapping.ROW_COLUMNS]


def row_select_sql(source: str) -> str:
    """SELECT of the raw_events rows made from the lines of `source`."""
    expressions = row_expressions()
    # event_type is computed first under its own name so the video condition can read it.
    inner = ", ".join(f"{expression} AS {name}" for name, expression in expressions if name == "event_type")
    outer = ", ".join(name if name == "event_type" else f"{expression} AS {name}" for name, expression in expressions)
    return (
        f"SELECT {outer} FROM (SELECT *, {inner} FROM {prepared_source(source)} WHERE reject_reason = '')"
    )


def reject_select_sql(source: str) -> str:
    """SELECT of the raw_events_rejected rows made from the lines of `source`."""
    reasons = list(mapping.REJECT_DETAILS)
    details = [mapping.REJECT_DETAILS[reason] for reason in reasons]
    detail = f"transform(reject_reason, [{', '.join(map(quote, reasons))}], [{', '.join(map(quote, details))}], '')"
    return (
        "SELECT source_file, source_etag, toUInt64(source_line) AS source_line, reject_reason AS reason,"
        f" {detail} AS detail, '' AS event_id, line_size AS raw_size,"
        f" substring(raw, 1, {mapping.REJECT_KEEP_BYTES}) AS raw"
        f" FROM {prepared_source(source)} WHERE reject_reason != ''"
    )


def untimezoned_count_sql(source: str) -> str:
    """SELECT of how many accepted lines of `source` have a timestamp without an offset."""
    return f"SELECT countIf(NOT ts_has_offset) FROM {prepared_source(source)} WHERE reject_reason = ''"
