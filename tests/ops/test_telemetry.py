"""The /metrics endpoint: bearer token, query latency, backfill, custom query, ingestion and queue figures; JSON logs."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from olap.core import telemetry
from olap.core.models import AuditEvent, BackfillRun

TOKEN = "metrics-test-token"


@pytest.fixture
def scraper(app):
    telemetry.init_app(app)
    app.config["METRICS_TOKEN"] = TOKEN
    client = app.test_client()

    def scrape() -> str:
        response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_data(as_text=True)

    return scrape


def sample(text: str, name: str, **labels: str) -> float:
    """Return the value of one sample of the exposition, failing when it is missing."""
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        match = re.fullmatch(rf"{re.escape(name)}(?:\{{(.*)\}})? (\S+)", line)
        if match and dict(re.findall(r'(\w+)="([^"]*)"', match.group(1) or "")) == labels:
            return float(match.group(2))
    pytest.fail(f"no sample {name} {labels} in:\n{text}")


def test_metrics_rejects_missing_token(app):
    telemetry.init_app(app)
    app.config["METRICS_TOKEN"] = TOKEN
    client = app.test_client()

    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_metrics_off_without_token(app):
    telemetry.init_app(app)
    app.config["METRICS_TOKEN"] = ""

    assert app.test_client().get("/metrics").status_code == 404


def test_query_latency_histogram(scraper):
    before = scraper()
    start = _optional_sample(before, "olap_query_duration_seconds_bucket", category="engagement", scope_kind="section", le="0.05")

    telemetry.observe_query("engagement", "section", 30.0, "ok")
    telemetry.observe_query("engagement", "section", 300.0, "error")
    after = scraper()

    assert sample(after, "olap_query_duration_seconds_bucket", category="engagement", scope_kind="section", le="0.05") == start + 1
    assert sample(after, "olap_dashboard_queries_total", category="engagement", state="error") >= 1


def _optional_sample(text: str, name: str, **labels: str) -> float:
    try:
        return sample(text, name, **labels)
    except pytest.fail.Exception:
        return 0.0


def test_backfill_and_custom_query_figures(scraper, instance):
    session = instance.db.session
    session.add_all([
        BackfillRun(source="s3", pattern="s3://b/a/*.jsonl", status="completed", created_by="t", lines=1000, rows_written=990, rejects=10, duration_ms=90_000),
        BackfillRun(source="s3", pattern="s3://b/b/*.jsonl", status="failed", created_by="t", lines=5, duration_ms=2_000),
        BackfillRun(source="s3", pattern="s3://b/c/*.jsonl", status="running", created_by="t"),
    ])
    session.add(AuditEvent(actor="t", action="custom_sql.run", outcome="ok"))
    session.add(AuditEvent(actor="t", action="custom_sql.run", outcome="rejected"))
    session.commit()

    text = scraper()

    assert sample(text, "olap_backfill_runs", status="running") == 1
    assert sample(text, "olap_backfill_runs_finished_total", status="failed") == 1
    assert sample(text, "olap_backfill_rows_written_total") == 990
    assert sample(text, "olap_backfill_rejects_total") == 10
    assert sample(text, "olap_backfill_duration_seconds_bucket", le="300.0") == 2
    assert sample(text, "olap_backfill_duration_seconds_bucket", le="60.0") == 1
    assert sample(text, "olap_custom_queries_total", outcome="rejected") == 1
    assert sample(text, "olap_metrics_source_up", source="metadata") == 1


def test_ingestion_and_queue_figures(scraper, instance, clickhouse):
    clickhouse.command("INSERT INTO raw_events (event_id, section_id, project_id, timestamp) SELECT concat('e', toString(number)), 1, 2, now64(3) FROM numbers(2)")
    clickhouse.command("INSERT INTO raw_events_rejected (source_file, source_line, reason) SELECT 'f', 1, 'invalid_json'")
    job_name = sorted(instance.registry.jobs)[0]
    instance.jobs.enqueue(job_name, 0)

    text = scraper()

    assert sample(text, "olap_ingest_rows", table="raw_events") == 2
    assert sample(text, "olap_ingest_rejected_rows", reason="invalid_json") == 1
    assert sample(text, "olap_ingest_last_insert_timestamp_seconds") > 0
    assert sample(text, "olap_job_queue_depth") == 1
    assert sample(text, "olap_metrics_source_up", source="clickhouse") == 1


def test_json_log_lines_parse():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(telemetry.JsonFormatter())
    log = logging.getLogger("olap.test_telemetry")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("backfill run %s: failed", 12, extra={"run_id": 12})
        try:
            raise ValueError("bad line")
        except ValueError:
            log.exception("ingest: unexpected error")
    finally:
        log.removeHandler(handler)
        log.propagate = True

    first, second = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    assert first["message"] == "backfill run 12: failed"
    assert first["level"] == "WARNING"
    assert first["run_id"] == 12
    assert "ValueError: bad line" in second["exception"]


def test_configure_logging_switches_format(capsys):
    telemetry.configure_logging("INFO", "json")
    logging.getLogger("olap.test_telemetry").info("flags: loaded")
    telemetry.configure_logging("INFO", "text")
    logging.getLogger("olap.test_telemetry").info("flags: loaded again")

    lines = capsys.readouterr().err.splitlines()
    json_lines = [json.loads(line) for line in lines if line.startswith("{")]
    assert [entry["message"] for entry in json_lines] == ["flags: loaded"]
    assert any(line.endswith("olap.test_telemetry: flags: loaded again") for line in lines)
