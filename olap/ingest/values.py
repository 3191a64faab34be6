"""Conversions of single JSON values for the Python transform, matching ClickHouse's results.

Each function here has a twin SQL expression in olap.ingest.sql; a test feeds the same
lines through both. JSON text follows what ClickHouse's JSONExtractRaw writes (tested
with chdb 4.4 / ClickHouse 26.9): compact, floats in shortest round-trip form written
like the double-conversion library's ECMAScript mode without a `+` in the exponent,
control characters as upper-case `\\u00XX`, and U+2028/U+2029 escaped.
"""

from __future__ import annotations

import math
import re

import orjson

UINT_DIGITS = re.compile(r"[0-9]{1,20}")
JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
FLOAT_EXACT_LIMIT = 2**53

# Date-time with `T`, `t` or a space, 0-9 fraction digits and an optional offset
# (`Z`, `z`, `±hh:mm`, `±hhmm` or `±hh`). The SQL path uses the same pattern in RE2.
TIMESTAMP_PATTERN = r"^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?(Z|z|[+-][0-9]{2}(?::?[0-9]{2})?)?$"
# Python's `$` also matches before a final newline, RE2's does not, so Python uses fullmatch.
TIMESTAMP = re.compile(TIMESTAMP_PATTERN[1:-1])
# DateTime64(3) holds 1900-01-01 00:00:00.000 to 2299-12-31 23:59:59.999 UTC.
MIN_TIMESTAMP_MS = -2208988800000
MAX_TIMESTAMP_MS = 10413791999999

# orjson writes every float with a digit followed by `.` or `e`; with all digits mapped to
# 0 those are cheap substring searches. Strings such as "v1.2" also match, which only
# sends the value down the slower exact path.
DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
LOWER_HEX_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u00([0-9a-f]{2})")
LINE_SEPARATORS = {"\u2028": "\\u2028", "\u2029": "\\u2029"}


def to_uint(value: object, bits: int) -> int | None:
    """Convert a JSON value to an unsigned integer of `bits` bits, or None."""
    kind = type(value)
    if kind is int:
        number = value
    elif kind is float:
        if not (value.is_integer() and 0 <= value < FLOAT_EXACT_LIMIT):
            return None
        number = int(value)
    elif kind is str and UINT_DIGITS.fullmatch(value):
        number = int(value)
    else:
        return None
    return number if 0 <= number < 2**bits else None


def to_float(value: object) -> float | None:
    """Convert a JSON number, or a string in JSON number syntax, to a finite float, or None."""
    kind = type(value)
    if kind is float:
        return value
    if kind is int:
        return float(value)
    if kind is str and JSON_NUMBER.fullmatch(value):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def to_bool(value: object) -> bool | None:
    """Convert true/false, 1/0 or their strings (any ASCII case) to a bool, or None."""
    kind = type(value)
    if kind is bool:
        return value
    if kind is int or kind is float:
        if value == 1:
            return True
        if value == 0:
            return False
        return None
    if kind is str and value.isascii():
        lowered = value.lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
    return None


def to_text(value: object) -> str:
    """Return a string as is and an integer in decimal; anything else becomes ''."""
    kind = type(value)
    if kind is str:
        return value
    if kind is int:
        return str(value)
    return ""


def to_count(value: object) -> int | None:
    """Count an array by its length; convert anything else like a UInt32."""
    if type(value) is list:
        return len(value)
    return to_uint(value, 32)


def to_json_text(value: object) -> str:
    """Return a string as is, null as '', and anything else as ClickHouse's compact JSON text."""
    kind = type(value)
    if kind is str:
        return value
    if value is None:
        return ""
    if kind is dict or kind is list:
        # TODO: orjson writes at most 255 levels of nesting, so a deeper object or array
        # raises here and stops the whole batch instead of becoming a row or a reject.
        try:
            encoded = orjson.dumps(value)
        except orjson.JSONEncodeError:
            # orjson writes no integer beyond 64 bits. The orjson read path already turns
            # them into their digits (as ClickHouse does), the typed msgspec path does not.
            value = big_integers_as_digits(value)
            encoded = orjson.dumps(value)
        digits_as_zero = encoded.translate(DIGITS_TO_ZERO)
        if b"0." not in digits_as_zero and b"0e" not in digits_as_zero:
            return _fix_string_escapes(encoded.decode())
    return _json_text(value)


def big_integers_as_digits(value: object) -> object:
    """Replace each integer outside [-2**63, 2**64) in a JSON value by the string of its digits."""
    kind = type(value)
    if kind is int:
        return value if -(2**63) <= value < 2**64 else str(value)
    if kind is dict:
        return {key: big_integers_as_digits(item) for key, item in value.items()}
    if kind is list:
        return [big_integers_as_digits(item) for item in value]
    return value


def _json_text(value: object) -> str:
    kind = type(value)
    if kind is str:
        return _fix_string_escapes(orjson.dumps(value).decode())
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is float:
        return float_text(value)
    if value is None:
        return "null"
    if kind is dict:
        return "{" + ",".join(_json_text(key) + ":" + _json_text(item) for key, item in value.items()) + "}"
    return "[" + ",".join(_json_text(item) for item in value) + "]"


def _fix_string_escapes(encoded: str) -> str:
    if "\\u00" in encoded:
        encoded = LOWER_HEX_ESCAPE.sub(lambda match: match.group(1) + "\\u00" + match.group(2).upper(), encoded)
    if "\u2028" in encoded or "\u2029" in encoded:
        for separator, escape in LINE_SEPARATORS.items():
            encoded = encoded.replace(separator, escape)
    return encoded


def float_text(number: float) -> str:
    """Write a float as ClickHouse's JSON writer does: shortest digits, plain notation for
    decimal exponents from -6 to 20, else `d.ddde±x` without a plus sign."""
    if number == 0:
        return "-0" if math.copysign(1.0, number) < 0 else "0"
    text = repr(number)
    sign = ""
    if text[0] == "-":
        sign, text = "-", text[1:]
    mantissa, _, exponent_text = text.partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    leading_zeros = len(whole + fraction) - len(digits)
    point = len(whole) + (int(exponent_text) if exponent_text else 0) - leading_zeros
    digits = digits.rstrip("0")
    exponent = point - 1

    if -6 <= exponent < 21:
        if point <= 0:
            return sign + "0." + "0" * -point + digits
        if point >= len(digits):
            return sign + digits + "0" * (point - len(digits))
        return sign + digits[:point] + "." + digits[point:]
    tail = "." + digits[1:] if len(digits) > 1 else ""
    return f"{sign}{digits[0]}{tail}e{exponent}"


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 to a proleptic Gregorian date (years 1900 and later)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 28
    return 30 if month in (4, 6, 9, 11) else 31


def parse_timestamp(text: str) -> tuple[int, bool] | None:
    """Parse an ISO 8601 date-time to (UTC epoch milliseconds, had an offset), or None.

    The fraction is cut, not rounded, to milliseconds. A value without an offset is read
    as UTC. Second 60 (a leap second) rolls into the next minute.
    """
    match = TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(group) for group in match.groups()[:6])
    fraction, offset = match.group(7), match.group(8)
    if not (1 <= month <= 12 and 1 <= day <= days_in_month(year, month) and hour <= 23 and minute <= 59 and second <= 60):
        return None

    offset_minutes = 0
    if offset and offset not in ("Z", "z"):
        digits = offset[1:].replace(":", "")
        offset_hours, offset_rest = int(digits[:2]), int(digits[2:] or "0")
        if offset_hours > 23 or offset_rest > 59:
            return None
        offset_minutes = (offset_hours * 60 + offset_rest) * (-1 if offset[0] == "-" else 1)

    milliseconds = int((fraction or "").ljust(3, "0")[:3])
    epoch_ms = (
        days_from_civil(year, month, day) * 86_400_000
        + hour * 3_600_000
        + minute * 60_000
        + second * 1000
        + milliseconds
        - offset_minutes * 60_000
    )
    if not MIN_TIMESTAMP_MS <= epoch_ms <= MAX_TIMESTAMP_MS:
        return None
    return epoch_ms, bool(offset)


NOT_CACHED = object()


class TimestampParser:
    """Parse the timestamps of one batch, fast for the common UTC form `YYYY-MM-DDThh:mm:ss[.f…]Z`.

    The start of each day of that form is parsed once by parse_timestamp and cached. A
    second of 60, an offset other than `Z` and every other form go to parse_timestamp, so
    results are always those of parse_timestamp.
    """

    def __init__(self) -> None:
        self._day_starts: dict[str, int | None] = {}

    def parse(self, text: str) -> tuple[int, bool] | None:
        """Parse like parse_timestamp: (UTC epoch milliseconds, had an offset), or None."""
        if len(text) >= 20 and text[-1] == "Z" and text[13] == ":" and text[16] == ":":
            date = text[:11]
            day_start = self._day_starts.get(date, NOT_CACHED)
            if day_start is NOT_CACHED:
                parsed = parse_timestamp(date + "00:00:00Z")
                day_start = self._day_starts[date] = parsed[0] if parsed else None
            hours, minutes, seconds = text[11:13], text[14:16], text[17:19]
            fraction = text[19:-1]
            if (
                day_start is not None
                and (hours + minutes + seconds).isdigit() and text.isascii()
                and hours < "24" and minutes < "60" and seconds < "60"
                and (not fraction or (fraction[0] == "." and 2 <= len(fraction) <= 10 and fraction[1:].isdigit()))
            ):
                # Both ends of the DateTime64(3) range fall on midnight, so a day start in
                # range keeps every time of that day in range.
                milliseconds = int(fraction[1:4].ljust(3, "0")) if fraction else 0
                return day_start + int(hours) * 3_600_000 + int(minutes) * 60_000 + int(seconds) * 1000 + milliseconds, True
        return parse_timestamp(text)
