"""Running plugin analytics queries for a scope: filters, limits, titles, states and telemetry.

A query's SQL file uses these markers, replaced before it runs:

- `{scope}`: the section or project predicate of olap.core.scope, with bound parameters
- `{range}`: `timestamp` within the filter's date range, as bound DateTime64 parameters

and these bound parameters, always present: `{tz:String}` (the time zone days are
bucketed in), `{top_n:UInt64}` (rows to keep; 0 means all, bound as a very large number),
`{range_start:DateTime64(3, 'UTC')}` and `{range_end:DateTime64(3, 'UTC')}`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time as clock_time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from olap.core import telemetry
from olap.core.clickhouse import ClickHouse
from olap.core.errors import ClickHouseError, UserInputError
from olap.core.hookspecs import AnalyticsQuery
from olap.core.scope import Scope

logger = logging.getLogger(__name__)

TOP_N_CHOICES = (10, 25, 50, 100, 0)
ALL_ROWS = 1_000_000_000
TITLE_COLUMNS = {"page_id": ("page", "page_title", "Page"), "activity_id": ("activity", "activity_title", "Activity")}


@dataclass(frozen=True)
class Filters:
    """Dashboard filters: a date range in a time zone, and how many top rows to keep."""

    start: date
    end: date
    time_zone: str
    top_n: int = 10

    def bounds_utc(self) -> tuple[datetime, datetime]:
        """Return the UTC instants of local midnight at `start` and after `end`."""
        zone = ZoneInfo(self.time_zone)
        begin = datetime.combine(self.start, clock_time.min, zone).astimezone(timezone.utc)
        finish = datetime.combine(self.end + timedelta(days=1), clock_time.min, zone).astimezone(timezone.utc)
        return begin.replace(tzinfo=None), finish.replace(tzinfo=None)


def parse_filters(arguments: dict[str, str], default_start: date, default_end: date, default_time_zone: str) -> Filters:
    """Read filters from request arguments, falling back to the scope's term and time zone."""

    def day(name: str, fallback: date) -> date:
        value = (arguments.get(name) or "").strip()
        if not value:
            return fallback
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise UserInputError(f"{name}={value!r} is not a date; use YYYY-MM-DD.") from None

    start = day("start", default_start)
    end = day("end", default_end)
    if end < start:
        raise UserInputError(f"The end date {end} is before the start date {start}; pick an end on or after the start.")
    time_zone = (arguments.get("tz") or default_time_zone).strip()
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserInputError(f"tz={time_zone!r} is not an IANA time zone such as America/New_York.") from None
    top_raw = (arguments.get("top") or "10").strip().lower()
    top_n = 0 if top_raw == "all" else _integer_choice(top_raw)
    return Filters(start, end, time_zone, top_n)


def _integer_choice(value: str) -> int:
    if not value.isdigit() or int(value) not in TOP_N_CHOICES:
        raise UserInputError(f"top={value!r} is not offered; use 10, 25, 50, 100 or all.")
    return int(value)


@dataclass
class AnalyticsResult:
    """The outcome of one query: rows, or the state to show instead, with its timing."""

    query: AnalyticsQuery
    state: str  # ok, no_data, empty_range or error
    column_names: tuple[str, ...] = ()
    rows: list[dict[str, Any]] = field(default_factory=list)
    elapsed_ms: float = 0.0
    error: str = ""
    query_id: str = ""


class QueryMetrics:
    """In-process registry of analytics query timings, for the telemetry endpoint to expose."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.durations_ms: dict[tuple[str, str, str], list[float]] = defaultdict(list)
        self.rows: dict[tuple[str, str, str], int] = defaultdict(int)
        self.states: dict[tuple[str, str], int] = defaultdict(int)

    def record(self, category: str, scope_kind: str, query_id: str, elapsed_ms: float, row_count: int, state: str) -> None:
        key = (category, scope_kind, query_id)
        with self._lock:
            samples = self.durations_ms[key]
            samples.append(elapsed_ms)
            if len(samples) > 10_000:
                del samples[: len(samples) - 10_000]
            self.rows[key] += row_count
            self.states[(category, state)] += 1
        telemetry.observe_query(category, scope_kind, elapsed_ms, state)


METRICS = QueryMetrics()


def render_sql(query: AnalyticsQuery, scope: Scope) -> str:
    """Return the query's SQL with the scope and range markers replaced."""
    sql = query.sql()
    if "{scope}" not in sql:
        raise ClickHouseError(f"Query {query.id} has no {{scope}} marker, so it cannot be limited to a section or project.")
    return sql.replace("{scope}", scope.predicate()).replace(
        "{range}", "(timestamp >= {range_start:DateTime64(3, 'UTC')} AND timestamp < {range_end:DateTime64(3, 'UTC')})"
    )


def bound_parameters(query: AnalyticsQuery, scope: Scope, filters: Filters) -> dict[str, Any]:
    start, end = filters.bounds_utc()
    parameters: dict[str, Any] = {parameter.name: parameter.default for parameter in query.parameters}
    parameters.update(scope.parameters())
    parameters.update({"tz": filters.time_zone, "top_n": filters.top_n or ALL_ROWS, "range_start": start, "range_end": end})
    return parameters


def has_events(store: ClickHouse, scope: Scope) -> bool:
    """Return whether anything at all was ingested for the scope."""
    result = store.query(f"SELECT 1 FROM raw_events WHERE {scope.predicate()} LIMIT 1", scope.parameters())
    return bool(result.rows)


def run_query(store: ClickHouse, query: AnalyticsQuery, scope: Scope, filters: Filters, limits: dict[str, Any], titles: dict[tuple[str, int], str] | None = None) -> AnalyticsResult:
    """Run one analytics query for a scope and return its rows or the state to show."""
    started = time.perf_counter()
    try:
        result = store.query(render_sql(query, scope), bound_parameters(query, scope, filters), settings=limits, comment=f"{query.category}/{query.id} {scope.describe()}")
    except ClickHouseError as err:
        elapsed_ms = (time.perf_counter() - started) * 1000
        logger.warning("analytics %s for %s failed after %.0f ms: %s", query.id, scope.describe(), elapsed_ms, err)
        METRICS.record(query.category, scope.kind, query.id, elapsed_ms, 0, "error")
        return AnalyticsResult(query, "error", elapsed_ms=elapsed_ms, error=str(err))

    rows = result.dicts()
    state = "ok"
    if not rows:
        state = "empty_range" if has_events(store, scope) else "no_data"
    add_titles(rows, titles or {})
    METRICS.record(query.category, scope.kind, query.id, result.elapsed_ms, len(rows), state)
    logger.debug("analytics %s for %s: %d rows in %.1f ms", query.id, scope.describe(), len(rows), result.elapsed_ms)
    return AnalyticsResult(query, state, tuple(rows[0].keys()) if rows else result.column_names, rows, result.elapsed_ms, query_id=result.query_id)


def add_titles(rows: list[dict[str, Any]], titles: dict[tuple[str, int], str]) -> None:
    """Add page_title / activity_title next to page_id / activity_id ("Page 123" when unknown)."""
    for row in rows:
        for column, (kind, title_column, label) in TITLE_COLUMNS.items():
            if column in row and title_column not in row:
                identifier = row[column]
                row[title_column] = titles.get((kind, identifier)) or (f"{label} {identifier}" if identifier is not None else f"No {kind}")
