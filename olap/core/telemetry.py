"""Prometheus metrics at `/metrics` (bearer METRICS_TOKEN) and structured JSON logs (LOG_FORMAT=json).

Two kinds of metrics:

- measured in this process: analytics query latency and load states, recorded by
  `observe_query`. Under gunicorn, set PROMETHEUS_MULTIPROC_DIR so every worker's
  samples are summed (prometheus_client's multiprocess mode).
- read at scrape time from the shared stores, so any one process reports them all:
  backfill runs and custom query outcomes from the metadata database, ingested rows,
  rejects and the newest insert from ClickHouse, queue depth from Redis.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import sys
from datetime import datetime, timezone
from typing import Any, Iterator

from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from sqlalchemy import func, select

logger = logging.getLogger(__name__)

# Bucket bounds in seconds around the latency targets: p95 of 200 ms (section) and 400 ms (project).
QUERY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 2.0, 8.0, 30.0)
BACKFILL_BUCKETS = (60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0)
SCRAPE_QUERY_SETTINGS = {"max_execution_time": 5}
# Live ingestion writes events of the last few days; older ones come from backfills.
INGEST_LAG_WINDOW_DAYS = 2

QUERY_SECONDS = Histogram(
    "olap_query_duration_seconds",
    "Wall time of analytics queries, by dashboard category and scope kind (section or project).",
    ["category", "scope_kind"],
    buckets=QUERY_BUCKETS,
    registry=None,
)
QUERY_STATES = Counter(
    "olap_dashboard_queries",
    "Analytics queries by category and the state the dashboard showed: ok, no_data, empty_range or error.",
    ["category", "state"],
    registry=None,
)
PROCESS_METRICS = (QUERY_SECONDS, QUERY_STATES)


def observe_query(category: str, scope_kind: str, elapsed_ms: float, state: str) -> None:
    """Record one analytics query run: its latency and the load state it produced."""
    QUERY_SECONDS.labels(category, scope_kind).observe(elapsed_ms / 1000)
    QUERY_STATES.labels(category, state).inc()


class StoreCollector:
    """Reads backfill, custom query, ingestion and queue figures from the shared stores at each scrape.

    A store that fails is reported as `olap_metrics_source_up{source=…} 0` and logged
    once per outage, while the other stores are still read.
    """

    _down: set[str] = set()

    def __init__(self, instance: Any):
        self.instance = instance

    def collect(self) -> Iterator[Any]:
        up = GaugeMetricFamily("olap_metrics_source_up", "1 when the store could be read at this scrape, else 0.", labels=["source"])
        for source, read in (("metadata", self._metadata), ("clickhouse", self._clickhouse), ("redis", self._queue)):
            try:
                families = list(read())
            except Exception as err:  # any store error must not break the other metrics
                self._report(source, err)
                up.add_metric([source], 0)
                continue
            self._recovered(source)
            up.add_metric([source], 1)
            yield from families
        yield up

    def _report(self, source: str, err: Exception) -> None:
        if source not in self._down:
            logger.warning("metrics source %s: cannot be read (%s: %s); reporting it as down until it recovers", source, err.__class__.__name__, err)
            self._down.add(source)

    def _recovered(self, source: str) -> None:
        if source in self._down:
            logger.info("metrics source %s: readable again", source)
            self._down.discard(source)

    def _metadata(self) -> Iterator[Any]:
        from olap.core.models import AuditEvent, BackfillRun

        session = self.instance.db.session
        runs = GaugeMetricFamily("olap_backfill_runs", "Backfill runs by current status.", labels=["status"])
        for status, count in session.execute(select(BackfillRun.status, func.count()).group_by(BackfillRun.status)):
            runs.add_metric([status], count)
        yield runs

        finished = CounterMetricFamily("olap_backfill_runs_finished", "Backfill runs that ended, by final status.", labels=["status"])
        counts = dict(session.execute(select(BackfillRun.status, func.count()).where(BackfillRun.status.in_(("completed", "failed", "cancelled"))).group_by(BackfillRun.status)).all())
        for status in ("completed", "failed", "cancelled"):
            finished.add_metric([status], counts.get(status, 0))
        yield finished

        lines, rows, rejects = session.execute(select(func.coalesce(func.sum(BackfillRun.lines), 0), func.coalesce(func.sum(BackfillRun.rows_written), 0), func.coalesce(func.sum(BackfillRun.rejects), 0))).one()
        yield CounterMetricFamily("olap_backfill_lines", "Input lines read by backfill runs.", value=lines)
        yield CounterMetricFamily("olap_backfill_rows_written", "Rows backfill runs wrote to raw_events.", value=rows)
        yield CounterMetricFamily("olap_backfill_rejects", "Lines backfill runs wrote to raw_events_rejected.", value=rejects)

        durations = [milliseconds / 1000 for milliseconds in session.scalars(select(BackfillRun.duration_ms).where(BackfillRun.status.in_(("completed", "failed")), BackfillRun.duration_ms > 0))]
        yield _histogram("olap_backfill_duration_seconds", "Wall time of finished backfill runs (completed or failed).", durations, BACKFILL_BUCKETS)

        outcomes = CounterMetricFamily("olap_custom_queries", "Custom SQL runs by outcome, from the audit log.", labels=["outcome"])
        for outcome, count in session.execute(select(AuditEvent.outcome, func.count()).where(AuditEvent.action == "custom_sql.run").group_by(AuditEvent.outcome)):
            outcomes.add_metric([outcome], count)
        yield outcomes

    def _clickhouse(self) -> Iterator[Any]:
        # The admin credential: the query user of analytics may not read raw_events_rejected.
        store = self.instance.clickhouse_admin
        rows = GaugeMetricFamily("olap_ingest_rows", "Rows in the ingestion tables; copies of a statement count until ClickHouse merges them.", labels=["table"])
        for table in ("raw_events", "raw_events_rejected"):
            rows.add_metric([table], store.query(f"SELECT count() FROM {table}", settings=SCRAPE_QUERY_SETTINGS).rows[0][0])
        yield rows

        rejects = GaugeMetricFamily("olap_ingest_rejected_rows", "Rows in raw_events_rejected by reject reason.", labels=["reason"])
        for reason, count in store.query("SELECT reason, count() FROM raw_events_rejected GROUP BY reason", settings=SCRAPE_QUERY_SETTINGS).rows:
            rejects.add_metric([reason], count)
        yield rejects

        newest = store.query(
            "SELECT toUnixTimestamp64Milli(max(inserted_at)), count() FROM raw_events WHERE timestamp >= now() - toIntervalDay({days:UInt32})",
            {"days": INGEST_LAG_WINDOW_DAYS},
            settings=SCRAPE_QUERY_SETTINGS,
        ).rows[0]
        if newest[1]:
            yield GaugeMetricFamily("olap_ingest_last_insert_timestamp_seconds", f"When the newest event of the last {INGEST_LAG_WINDOW_DAYS} days was inserted, as a Unix time.", value=newest[0] / 1000)

    def _queue(self) -> Iterator[Any]:
        jobs = self.instance.jobs
        if jobs is None:
            return
        queue = jobs.queue
        yield GaugeMetricFamily("olap_job_queue_depth", "Jobs waiting in the RQ queue.", value=queue.count)
        registries = GaugeMetricFamily("olap_jobs", "Jobs in the RQ registries: started, failed, scheduled or deferred.", labels=["state"])
        for state, registry in (("started", queue.started_job_registry), ("failed", queue.failed_job_registry), ("scheduled", queue.scheduled_job_registry), ("deferred", queue.deferred_job_registry)):
            registries.add_metric([state], registry.count)
        yield registries


def _histogram(name: str, documentation: str, values: list[float], bounds: tuple[float, ...]) -> HistogramMetricFamily:
    buckets = [(repr(bound), sum(1 for value in values if value <= bound)) for bound in bounds]
    buckets.append(("+Inf", len(values)))
    return HistogramMetricFamily(name, documentation, buckets=buckets, sum_value=sum(values))


def scrape(instance: Any) -> bytes:
    """Return the text exposition of every metric, as Prometheus scrapes it."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        for metric in PROCESS_METRICS:
            registry.register(metric)
    registry.register(StoreCollector(instance))
    return generate_latest(registry)


bp = Blueprint("telemetry", __name__)


@bp.route("/metrics")
def metrics() -> Response:
    token = current_app.config.get("METRICS_TOKEN", "")
    if not token:
        return Response("Metrics are switched off; set METRICS_TOKEN to expose them.\n", status=404, mimetype="text/plain")
    offered = request.headers.get("Authorization", "")
    if not hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        return Response("Missing or invalid bearer token; send Authorization: Bearer <METRICS_TOKEN>.\n", status=401, mimetype="text/plain", headers={"WWW-Authenticate": "Bearer"})
    return Response(scrape(current_app.extensions["olap"]), mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    """Serve `/metrics` from `app`, guarded by the METRICS_TOKEN setting. Calling it twice changes nothing."""
    if "telemetry" in app.blueprints:
        return
    app.config.setdefault("METRICS_TOKEN", app.extensions["olap"].config.values.get("METRICS_TOKEN", ""))
    app.register_blueprint(bp)


STANDARD_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Formats each log record as one JSON object: time, level, logger, message, exception and `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in STANDARD_RECORD_FIELDS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str, log_format: str = "text") -> None:
    """Send log records to stderr as text lines or, with `json`, as one JSON object per line.

    Replaces the handler a previous call installed, so calling it again switches format.
    """
    root = logging.getLogger()
    for handler in [handler for handler in root.handlers if getattr(handler, "olap_handler", False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.olap_handler = True  # type: ignore[attr-defined]
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("olap").setLevel(level)
