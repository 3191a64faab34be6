"""Running guarded custom SQL: limits in the SETTINGS clause, a per-user rate limit and the audit record."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any, Mapping

from olap.core.clickhouse import ClickHouse, new_query_id
from olap.core.errors import ClickHouseError, OlapError, QueryLimitExceeded, QueryTimeout
from olap.core.scope import Scope
from olap.plugins.custom.guard import GuardedQuery, QueryRejected, guard

logger = logging.getLogger(__name__)

# Settings read from the instance configuration, with the defaults used while they are not
# declared in olap.core.config. Byte and row limits are per query.
LIMIT_SETTINGS: dict[str, tuple[str, int]] = {
    "max_execution_time": ("CUSTOM_SQL_TIMEOUT", 10),
    "max_result_rows": ("CUSTOM_SQL_MAX_RESULT_ROWS", 5_000),
    "max_rows_to_read": ("CUSTOM_SQL_MAX_ROWS_TO_READ", 200_000_000),
    "max_bytes_to_read": ("CUSTOM_SQL_MAX_BYTES_TO_READ", 20_000_000_000),
    "max_memory_usage": ("CUSTOM_SQL_MAX_MEMORY", 1_000_000_000),
}
RUNS_PER_MINUTE = ("CUSTOM_SQL_RUNS_PER_MINUTE", 20)


class TooManyRuns(OlapError):
    """A user ran more custom queries in the last minute than the rate limit allows."""

    status = 429
    exit_code = 2


def setting(config_values: Mapping[str, Any], name: str, default: int) -> int:
    value = config_values.get(name)
    return default if value in (None, "") else int(value)


def query_limits(config_values: Mapping[str, Any]) -> dict[str, Any]:
    """Return the SETTINGS of a custom query: read-only, time, rows, bytes and memory limits.

    `readonly = 2` rather than 1: with 1, ClickHouse rejects the `log_comment` setting that
    ClickHouse.query appends after these settings in the same clause. Both forbid writes
    and DDL, and the guard already rejects a user's own SETTINGS clause.
    """
    limits: dict[str, Any] = {"readonly": 2}
    for clickhouse_name, (config_name, default) in LIMIT_SETTINGS.items():
        limits[clickhouse_name] = setting(config_values, config_name, default)
    limits.update(result_overflow_mode="throw", read_overflow_mode="throw", timeout_overflow_mode="throw")
    return limits


class RunRateLimiter:
    """In-process sliding window of custom query runs per user.

    NOTE: the window lives in one process, so with several web processes a user gets the
    limit once per process.
    """

    def __init__(self, window_seconds: float = 60.0):
        self.window_seconds = window_seconds
        self._runs: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, user_key: str, limit: int, now: float | None = None) -> None:
        """Count one run for `user_key`, raising TooManyRuns when the window is full."""
        now = time.monotonic() if now is None else now
        with self._lock:
            runs = self._runs[user_key]
            while runs and runs[0] <= now - self.window_seconds:
                runs.popleft()
            if len(runs) >= limit:
                wait = int(runs[0] + self.window_seconds - now) + 1
                raise TooManyRuns(f"You ran {len(runs)} custom queries in the last minute, the maximum is {limit}; wait {wait} s and run again.")
            runs.append(now)


RATE_LIMITER = RunRateLimiter()


@dataclass
class CustomRun:
    """The outcome of one custom query run, as shown on the page, printed by the CLI and audited."""

    sql: str
    outcome: str  # ok, rejected, timeout, limit, error
    guarded: GuardedQuery | None = None
    column_names: tuple[str, ...] = ()
    rows: list[dict[str, Any]] = field(default_factory=list)
    elapsed_ms: float = 0.0
    query_id: str = ""
    error: str = ""
    rule: str = ""
    error_code: int | None = None

    @property
    def sql_sha256(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    def audit_detail(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"sql_sha256": self.sql_sha256, "rows": len(self.rows), "elapsed_ms": round(self.elapsed_ms, 1), "query_id": self.query_id}
        if self.rule:
            detail["rule"] = self.rule
        if self.error_code is not None:
            detail["error_code"] = self.error_code
        return detail


def run_custom_sql(store: ClickHouse, sql: str, scope: Scope, limits: Mapping[str, Any], requested_by: str) -> CustomRun:
    """Guard `sql`, run the rewritten query for `scope` with `limits`, and return the outcome.

    `requested_by` names the user in the query's log_comment (an olap user id, never an
    xAPI user id). Errors of the guard and of ClickHouse come back as the run's outcome.
    The query runs on a new client for `store`'s target and credential.
    """
    started = time.perf_counter()
    try:
        guarded = guard(sql, scope)
    except QueryRejected as err:
        return CustomRun(sql, "rejected", error=str(err), rule=err.rule, elapsed_ms=(time.perf_counter() - started) * 1000)

    query_id = new_query_id()
    comment = f"custom {requested_by} {scope.kind} {scope.id}"
    # A client of its own, closed after the run: with clickhouse-connect 1.12's chdb
    # backend, rows left over from a query that failed mid-stream (at max_result_rows, for
    # one) came back as the result of the next query on the same client.
    own_store = ClickHouse(store.target)
    try:
        result = own_store.query(guarded.sql, guarded.parameters, query_id=query_id, settings=dict(limits), comment=comment)
    except ClickHouseError as err:
        outcome = "timeout" if isinstance(err, QueryTimeout) else "limit" if isinstance(err, QueryLimitExceeded) else "error"
        elapsed_ms = (time.perf_counter() - started) * 1000
        logger.info("custom query %s for %s: %s after %.0f ms (code %s)", query_id, scope.describe(), outcome, elapsed_ms, err.code)
        return CustomRun(sql, outcome, guarded, elapsed_ms=elapsed_ms, query_id=query_id, error=str(err), error_code=err.code)
    finally:
        own_store.close()

    return CustomRun(sql, "ok", guarded, result.column_names, result.dicts(), result.elapsed_ms, query_id)
