"""Generated data in real stores: chDB ingest and the events view, catalog import, S3 upload."""

from __future__ import annotations

import socket
from pathlib import Path

import boto3
import pytest
from sqlalchemy import func, select

from olap.core.importer import import_file
from olap.core.models import Project, Resource, Section
from olap.generator import generate
from olap.ingest import ingest_lines
from tests.generator.conftest import read_part


def test_ingested_set_counts_rows_and_voids(clickhouse, tmp_path):
    summary = generate(tmp_path, projects=1, sections=2, students=30, events=4000, seed=5, weeks=3, files=3, id_share=0.2, void_share=0.2, duplicate_share=0.02)

    results = [ingest_lines(clickhouse, read_part(Path(part["location"])), part["key"]) for part in summary.files]

    assert summary.voiding > 0
    assert summary.duplicates > 0
    assert sum(result.rejected for result in results) == 0
    assert sum(result.duplicates for result in results) == summary.duplicates
    assert sum(result.inserted for result in results) == summary.lines - summary.duplicates
    assert clickhouse.query("SELECT count() FROM raw_events").scalar() == summary.lines - summary.duplicates
    assert clickhouse.query("SELECT count() FROM events").scalar() == summary.statements - summary.voiding - summary.voided


def test_catalog_imports(instance, tmp_path):
    summary = generate(tmp_path, projects=3, sections=7, students=20, events=0, seed=2)
    session = instance.db.session

    imported = [import_file(session, kind, tmp_path / f"{kind}.json") for kind in ("projects", "sections", "resources")]

    assert [result.created for result in imported] == [3, 7, summary.pages + summary.activities]
    assert session.scalar(select(func.count()).select_from(Project)) == 3
    sections = session.scalars(select(Section)).all()
    assert len({section.time_zone for section in sections}) >= 4
    assert all((section.end_date - section.start_date).days == 15 * 7 - 1 for section in sections)
    assert session.scalar(select(func.count()).select_from(Resource).where(Resource.kind == "activity")) == summary.activities
    titles = session.scalars(select(Resource.title).where(Resource.kind == "page")).all()
    assert len(set(titles)) > 0.8 * len(titles)


@pytest.fixture
def s3_server(monkeypatch):
    """An S3 server (moto) on a free loopback port, with the standard AWS settings pointing at it."""
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    yield boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    server.stop()


def test_s3_output_matches_local_output(s3_server, tmp_path):
    s3_server.create_bucket(Bucket="learning-events")
    arguments = {"projects": 1, "sections": 2, "students": 15, "events": 1500, "seed": 9, "weeks": 2, "gzip": True, "lines_per_file": 400}

    remote = generate("s3://learning-events/torus/xapi", **arguments)
    local = generate(tmp_path, **arguments)

    listed = s3_server.list_objects_v2(Bucket="learning-events", Prefix="torus/xapi/")["Contents"]
    keys = sorted(item["Key"] for item in listed)
    assert keys == sorted(
        [f"torus/xapi/{part['key']}" for part in remote.files] + [f"torus/xapi/{name}" for name in ("projects.json", "resources.json", "sections.json")]
    )
    assert [part["location"] for part in remote.files] == [f"s3://learning-events/torus/xapi/{part['key']}" for part in local.files]
    for part in local.files:
        uploaded = s3_server.get_object(Bucket="learning-events", Key=f"torus/xapi/{part['key']}")["Body"].read()
        assert uploaded == Path(part["location"]).read_bytes()
    assert remote.files[0]["key"].startswith("date=2026-01-1")
    assert remote.files[0]["key"].endswith("/part-00001.jsonl.gz")
