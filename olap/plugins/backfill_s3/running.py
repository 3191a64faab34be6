"""The S3 backfill job: one INSERT … SELECT FROM s3() into raw_lines per compression group.

raw_lines is a Null table whose materialized views apply the shared xAPI mapping, so a
single read of the files fills raw_events and raw_events_rejected. Files whose content
is compressed differently from what their name says (gzip named .jsonl) are read in
their own statement with the compression stated.

No insert deduplication token is used: the blocks of a parallel INSERT … SELECT are not
cut the same way twice, so a token per block could drop different lines on a retry.
A rerun is safe anyway, because raw_events collapses copies of a statement (same sort
key) and raw_events_rejected collapses copies of a rejected line.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from flask import current_app

from olap.core.clickhouse import ClickHouse
from olap.core.errors import ClickHouseError, UserInputError
from olap.core.models import BackfillRun
from olap.plugins.backfill_s3.planning import Plan, PlannedFile

logger = logging.getLogger(__name__)

TERMINAL = ("completed", "failed", "cancelled")
# The mapping's SQL uses only functions that return a value for any input, so evaluating
# every branch of its nested multiIf is safe, and about three times faster on ClickHouse
# 26.9 than short-circuit evaluation (measured on 40,000 Torus statements). The three
# views of raw_lines run in parallel.
INSERT_SETTINGS = {"short_circuit_function_evaluation": "disable", "parallel_view_processing": 1}
ALLOWED_SETTINGS: dict[str, tuple[type, int, int]] = {
    "max_threads": (int, 1, 256),
    "max_insert_threads": (int, 1, 256),
    "max_download_threads": (int, 1, 256),
    "s3_max_connections": (int, 1, 4096),
    "s3_max_get_rps": (int, 0, 1_000_000),
    "max_memory_usage": (int, 0, 1 << 42),
    "max_execution_time": (int, 0, 7 * 86400),
    "max_insert_block_size": (int, 1024, 100_000_000),
    "min_insert_block_size_rows": (int, 0, 1_000_000_000),
    "min_insert_block_size_bytes": (int, 0, 1 << 36),
    "input_format_parallel_parsing": (bool, 0, 1),
    "parallel_distributed_insert_select": (int, 0, 2),
}


def check_settings(settings: Any) -> dict[str, int]:
    """Return ClickHouse settings given by an admin, or raise naming the first one not allowed."""
    if settings in (None, ""):
        return {}
    if not isinstance(settings, dict):
        raise UserInputError("ClickHouse settings must be a JSON object such as {\"max_threads\": 4}.")
    checked = {}
    for name, value in settings.items():
        if name not in ALLOWED_SETTINGS:
            raise UserInputError(f"The setting {name!r} is not allowed for backfills; allowed: {', '.join(sorted(ALLOWED_SETTINGS))}.")
        kind, low, high = ALLOWED_SETTINGS[name]
        if kind is bool:
            if value not in (0, 1, True, False):
                raise UserInputError(f"The setting {name} must be true or false, not {value!r}.")
            checked[name] = int(bool(value))
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise UserInputError(f"The setting {name} must be a whole number from {low} to {high}, not {value!r}.")
        checked[name] = value
    return checked


def clickhouse_url(bucket: str, key: str) -> str:
    """Return the URL ClickHouse's s3() reads, from the same AWS settings boto3 uses."""
    encoded = quote(key, safe="/*?{},.-_~")
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        return f"{endpoint.rstrip('/')}/{bucket}/{encoded}"
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return f"https://{bucket}.s3.{region}.amazonaws.com/{encoded}"


def _credentials() -> dict[str, str]:
    return {name: os.environ.get(variable, "") for name, variable in (("key", "AWS_ACCESS_KEY_ID"), ("secret", "AWS_SECRET_ACCESS_KEY"), ("token", "AWS_SESSION_TOKEN"))}


def _s3_source(credentials: dict[str, str], compression: str) -> str:
    if credentials["key"] and credentials["token"]:
        signature = "{key:String}, {secret:String}, {token:String}, "
    elif credentials["key"]:
        signature = "{key:String}, {secret:String}, "
    else:
        signature = "NOSIGN, "
    return f"s3({{url:String}}, {signature}'LineAsString', 'line String', '{compression}')"


def insert_statements(plan: Plan) -> list[tuple[str, dict[str, Any]]]:
    """Return (SQL, parameters) of each INSERT a run needs, secrets as bound parameters."""
    credentials = _credentials()
    mismatched = {planned.key for planned in plan.mismatched}
    groups: list[tuple[str, str, list[PlannedFile]]] = []
    regular = [planned for planned in plan.files if planned.key not in mismatched]
    if regular:
        groups.append((clickhouse_url(plan.bucket, plan.pattern), "auto", regular))
    for planned in plan.files:
        if planned.key in mismatched:
            groups.append((clickhouse_url(plan.bucket, planned.key), planned.compression, [planned]))

    statements = []
    for url, compression, files in groups:
        sql = (
            "INSERT INTO raw_lines (raw, source_file, source_etag, source_line) "
            "SELECT line, concat('s3://', _path), trim(BOTH '\"' FROM _etag), _row_number + 1 "
            f"FROM {_s3_source(credentials, compression)} WHERE _path IN {{paths:Array(String)}}"
        )
        parameters = {"url": url, "paths": [f"{plan.bucket}/{planned.key}" for planned in files]}
        parameters.update({name: value for name, value in credentials.items() if value})
        statements.append((sql, parameters))
    return statements


def count_outcome(store: ClickHouse, plan: Plan) -> tuple[int, int, list[str]]:
    """Return (lines read, lines rejected, keys not read) of the plan's files, from what the views recorded.

    A planned file that was deleted or changed (another ETag) after planning is not read
    as planned; its key is returned so the run can fail instead of passing with fewer rows.
    """
    sources = [(f"s3://{plan.bucket}/{planned.key}", planned.etag) for planned in plan.files]
    seen = store.query(
        "SELECT source_file, source_etag, max(last_line) FROM raw_lines_seen WHERE (source_file, source_etag) IN {sources:Array(Tuple(String, String))} GROUP BY source_file, source_etag",
        {"sources": sources},
    ).rows
    lines = sum(last for _file, _etag, last in seen)
    read = {(source_file, etag) for source_file, etag, _last in seen}
    missing = [planned.key for planned, source in zip(plan.files, sources) if source not in read]
    rejects = store.query(
        "SELECT count() FROM raw_events_rejected FINAL WHERE (source_file, source_etag) IN {sources:Array(Tuple(String, String))}",
        {"sources": sources},
    ).scalar()
    return int(lines or 0), int(rejects or 0), missing


class _ProgressSampler(threading.Thread):
    """Samples the running statement's progress and peak memory from system.processes."""

    def __init__(self, store: ClickHouse, query_id: str):
        super().__init__(daemon=True, name=f"backfill-progress-{query_id}")
        self.store = store
        self.query_id = query_id
        self.peak_memory = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.5):
            try:
                running = self.store.running(self.query_id)
            except ClickHouseError:
                continue
            if running:
                self.peak_memory = max(self.peak_memory, int(running["memory_usage"]))


def _scrub(text: str) -> str:
    for secret in _credentials().values():
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def _load_run(session, run_id: int) -> BackfillRun | None:
    # The web request commits the run right after enqueueing its job, so a worker thread
    # can start first; wait briefly for the row to appear.
    for _attempt in range(50):
        run = session.get(BackfillRun, run_id)
        if run is not None:
            return run
        session.rollback()
        time.sleep(0.1)
    return None


def run_backfill(run_id: int) -> str:
    """Job: execute backfill run `run_id` and record its outcome; return the final status."""
    instance = current_app.extensions["olap"]
    session = instance.db.session
    run = _load_run(session, run_id)
    if run is None:
        logger.error("backfill run %s: not found; the job ends without work", run_id)
        return "missing"
    if run.status in TERMINAL:
        logger.info("backfill run %s: already %s; nothing to do", run.id, run.status)
        return run.status
    if run.cancel_requested:
        return _finish(session, run, "cancelled", "Cancelled before it started.")

    store = instance.clickhouse_admin
    plan = Plan.from_dict(run.plan)
    run.status, run.started_at, run.error = "running", datetime.now(timezone.utc), ""
    # The trailing dash keeps the prefix of attempt 1 from matching attempt 10 in system.processes.
    run.query_id = f"backfill-{run.id}-{run.attempts}-"
    session.commit()
    logger.info("backfill run %s: started, %d files, %d bytes", run.id, len(plan.files), plan.bytes_total)

    started = time.perf_counter()
    sampler = _ProgressSampler(store, run.query_id)
    sampler.start()
    try:
        for index, (sql, parameters) in enumerate(insert_statements(plan)):
            settings = {**INSERT_SETTINGS, **run.clickhouse_settings}
            store.command(sql, parameters, query_id=f"{run.query_id}{index}", settings=settings, comment=f"backfill run {run.id}")
            session.refresh(run)
            if run.cancel_requested:
                break
    except ClickHouseError as err:
        sampler.stop.set()
        session.refresh(run)
        if run.cancel_requested or err.name == "QUERY_WAS_CANCELLED":
            return _finish(session, run, "cancelled", "Cancelled while running; rows inserted so far stay, and a retry completes the run without counting anything twice.", started, sampler)
        logger.warning("backfill run %s: failed: %s", run.id, _scrub(str(err)))
        return _finish(session, run, "failed", _scrub(str(err)), started, sampler)
    finally:
        sampler.stop.set()

    if run.cancel_requested:
        return _finish(session, run, "cancelled", "Cancelled between files.", started, sampler)
    run.lines, run.rejects, missing = count_outcome(store, plan)
    run.rows_written = run.lines - run.rejects
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        return _finish(session, run, "failed", f"{len(missing)} planned files were not read because they were deleted or changed after planning: {shown}. Restore them and retry, or start a new backfill.", started, sampler)
    if run.optimize_after:
        run.status = "optimizing"
        session.commit()
        try:
            store.command("OPTIMIZE TABLE raw_events FINAL", query_id=f"{run.query_id}optimize", comment=f"backfill run {run.id}")
        except ClickHouseError as err:
            return _finish(session, run, "failed", f"Rows are stored, but OPTIMIZE failed: {_scrub(str(err))}", started, sampler)
    return _finish(session, run, "completed", "", started, sampler)


def _finish(session, run: BackfillRun, status: str, error: str, started: float | None = None, sampler: _ProgressSampler | None = None) -> str:
    run.status = status
    run.error = error
    run.finished_at = datetime.now(timezone.utc)
    if started is not None:
        run.duration_ms = int((time.perf_counter() - started) * 1000)
        run.rows_read = run.lines
        run.bytes_read = run.bytes_total if status == "completed" else run.bytes_read
    if sampler is not None:
        run.memory_bytes = sampler.peak_memory
    session.commit()
    logger.info("backfill run %s: %s after %s ms, %s lines, %s rows, %s rejects", run.id, status, run.duration_ms, run.lines, run.rows_written, run.rejects)
    return status


def progress(store: ClickHouse, run: BackfillRun) -> dict[str, Any] | None:
    """Return the live progress of a running run from system.processes, or None."""
    if run.status != "running" or not run.query_id:
        return None
    current = store.running(run.query_id)
    if current is None:
        return None
    read_bytes = int(current["read_bytes"])
    share = min(1.0, read_bytes / run.bytes_total) if run.bytes_total else 0.0
    return {"read_rows": int(current["read_rows"]), "read_bytes": read_bytes, "share": share, "elapsed": float(current["elapsed"]), "memory": int(current["memory_usage"])}
