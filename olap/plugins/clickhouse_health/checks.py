"""Health checks of ClickHouse, each a function returning rows of (label, value, warning).

Each check runs on its own, so one that fails (a missing system table, a lost server)
shows its reason while the others still answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from olap.core.analytics import METRICS
from olap.core.clickhouse import ClickHouse
from olap.core.errors import ClickHouseError

PARTS_PER_PARTITION_WARNING = 300
INGEST_LAG_WARNING_SECONDS = 24 * 3600


@dataclass
class CheckResult:
    """What one check shows: labelled values, warnings, or the error that stopped it."""

    title: str
    rows: list[tuple[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    note: str = ""


def _seconds_text(seconds: float) -> str:
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{days} d {hours} h {minutes} min" if days else f"{hours} h {minutes} min {seconds} s"


def connection(store: ClickHouse) -> CheckResult:
    row = store.query("SELECT version(), uptime(), timezone(), now64(3), currentDatabase()").rows[0]
    version, uptime, zone, server_time, database = row
    return CheckResult("Connection", [("Target", store.target.describe()), ("Version", version), ("Uptime", _seconds_text(uptime)), ("Time zone", zone), ("Server time", str(server_time)), ("Database", database)])


def raw_events(store: ClickHouse) -> CheckResult:
    table = store.query(
        "SELECT engine, total_rows, total_bytes FROM system.tables WHERE database = currentDatabase() AND name = 'raw_events'"
    ).rows
    if not table:
        return CheckResult("raw_events", error="The table raw_events does not exist; apply the migrations below.")
    engine, rows, size = table[0]
    parts = store.query(
        "SELECT count(), max(modification_time) FROM system.parts WHERE database = currentDatabase() AND table = 'raw_events' AND active"
    ).rows[0]
    rejects = store.query("SELECT count() FROM raw_events_rejected").scalar()
    result = CheckResult("raw_events", [("Engine", engine), ("Rows (before merges collapse copies)", rows), ("Bytes on disk", size), ("Active parts", parts[0]), ("Last part written", str(parts[1])), ("Rejected lines", rejects)])
    busiest = store.query(
        "SELECT partition, count() AS parts FROM system.parts WHERE database = currentDatabase() AND table = 'raw_events' AND active GROUP BY partition ORDER BY parts DESC LIMIT 1"
    ).rows
    if busiest and busiest[0][1] > PARTS_PER_PARTITION_WARNING:
        result.warnings.append(f"Partition {busiest[0][0]} has {busiest[0][1]} active parts (more than {PARTS_PER_PARTITION_WARNING}); inserts are too small or merges lag behind.")
    return result


def ingest_lag(store: ClickHouse) -> CheckResult:
    newest_event, newest_insert, now = store.query("SELECT max(timestamp), max(inserted_at), now64(3) FROM raw_events").rows[0]
    if newest_insert is None or newest_insert.year < 1971:
        return CheckResult("Ingest lag", [("Newest event", "none ingested yet")])
    lag = (now - newest_event).total_seconds()
    result = CheckResult("Ingest lag", [("Newest event", str(newest_event)), ("Newest insert", str(newest_insert)), ("Lag (now minus newest event)", _seconds_text(lag))])
    if lag > INGEST_LAG_WARNING_SECONDS:
        result.warnings.append(f"The newest event is {_seconds_text(lag)} old; check that producers and the ETL function are delivering.")
    return result


def query_latency(store: ClickHouse) -> CheckResult:
    try:
        row = store.query(
            "SELECT count(), quantile(0.5)(query_duration_ms), quantile(0.95)(query_duration_ms) FROM system.query_log"
            " WHERE type = 'QueryFinish' AND event_time > now() - INTERVAL 1 HOUR AND query_kind = 'Select'"
        ).rows[0]
        return CheckResult("Query latency, last hour", [("Queries", row[0]), ("p50 (ms)", round(row[1] or 0, 1)), ("p95 (ms)", round(row[2] or 0, 1))], note="From system.query_log.")
    except ClickHouseError as err:
        if err.code not in (60, 81):
            raise
    samples = sorted(value for values in METRICS.durations_ms.values() for value in values)
    if not samples:
        return CheckResult("Query latency", note="system.query_log is not available (the embedded engine keeps none), and this process has run no analytics query yet.")
    p50 = samples[len(samples) // 2]
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    return CheckResult("Query latency", [("Queries", len(samples)), ("p50 (ms)", round(p50, 1)), ("p95 (ms)", round(p95, 1))], note="system.query_log is not available here; these are the analytics queries of this process.")


CHECKS: dict[str, Callable[[ClickHouse], CheckResult]] = {
    "connection": connection,
    "raw_events": raw_events,
    "ingest_lag": ingest_lag,
    "query_latency": query_latency,
}


def run_check(name: str, store: ClickHouse) -> CheckResult:
    """Run one check, turning any ClickHouse error into a result that shows its reason."""
    try:
        return CHECKS[name](store)
    except ClickHouseError as err:
        return CheckResult(name.replace("_", " ").capitalize(), error=str(err))


def checked_at() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
