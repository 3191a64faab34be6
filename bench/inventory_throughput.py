"""Measure inventory backfills: objects/s and statements/s by chunk size and concurrency.

Run: .venv/bin/python bench/inventory_throughput.py [--objects 2000] [--statements 5] [--chunk-sizes 25,100,500] [--concurrency 1,2]

Puts small JSONL objects (keys with spaces, `+`, `=` and unicode, over five day folders)
on a loopback moto S3 server and writes a CSV inventory report of them in four data files.
Then it loads the report once per chunk size and concurrency into a throwaway embedded
ClickHouse with two worker threads. The tables are emptied between runs, so each run inserts every
row. Times are wall clock from scheduling to the run's end, preparation included.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import tempfile
import time
import uuid
from pathlib import Path

import boto3
from moto.server import ThreadedMotoServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from inventory.reports import put_objects, write_report  # noqa: E402
from olap.core.app import create_app  # noqa: E402
from olap.core.migrations import Migrator  # noqa: E402
from olap.plugins.backfill_inventory import service  # noqa: E402
from olap.plugins.backfill_inventory.models import InventoryRun  # noqa: E402


def start_s3() -> tuple[ThreadedMotoServer, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server, f"http://127.0.0.1:{port}"


def wait_for(instance, run_id: int, timeout: float) -> InventoryRun:
    deadline = time.monotonic() + timeout
    session = instance.db.session
    while time.monotonic() < deadline:
        session.expire_all()
        run = session.get(InventoryRun, run_id)
        if run.finished_at is not None:
            return run
        time.sleep(0.05)
    raise SystemExit(f"inventory run {run_id} did not finish within {timeout} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=2000, help="Objects in the inventory (default 2000).")
    parser.add_argument("--statements", type=int, default=5, help="xAPI statements per object (default 5).")
    parser.add_argument("--chunk-sizes", default="25,100,500", help="Chunk sizes to measure, comma-separated.")
    parser.add_argument("--concurrency", default="1,2", help="Concurrent batches to measure, comma-separated.")
    parser.add_argument("--timeout", type=float, default=900, help="Seconds one run may take (default 900).")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for name in ("werkzeug", "olap"):
        logging.getLogger(name).setLevel(logging.WARNING)

    server, endpoint = start_s3()
    os.environ.update({"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": "us-east-1"})
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    bucket = f"bench-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    started = time.perf_counter()
    report = put_objects(client, bucket, arguments.objects, statements=arguments.statements, empty=0)
    manifest_url = write_report(client, bucket, bucket, files=4)
    print(f"setup: {arguments.objects} objects, {report.lines} lines put in {time.perf_counter() - started:.1f} s", flush=True)

    home = Path(tempfile.mkdtemp(prefix="olap-inventory-bench-"))
    app = create_app({"OLAP_HOME": str(home), "OLAP_ENV": "test", "SECRET_KEY": "bench", "CLICKHOUSE_URL": f"chdb://{home / 'clickhouse'}", "OLAP_WORKER_THREADS": "2", "LOG_LEVEL": "WARNING"}, start_workers=True)
    instance = app.extensions["olap"]
    instance.db.upgrade()
    Migrator(instance.config.clickhouse_admin).up()
    store = instance.clickhouse_admin

    print("chunk size | concurrency | seconds | objects/s | statements/s | inserts | lines | status")
    try:
        with app.app_context():
            for chunk_size in (int(value) for value in arguments.chunk_sizes.split(",")):
                for concurrency in (int(value) for value in arguments.concurrency.split(",")):
                    for table in ("raw_events", "raw_events_rejected", "raw_lines_seen"):
                        store.command(f"TRUNCATE TABLE {table}")
                    begun = time.perf_counter()
                    run = service.schedule(instance, manifest_url, service.make_options(chunk_size=chunk_size, concurrency=concurrency), "bench")
                    done = wait_for(instance, run.id, arguments.timeout)
                    seconds = time.perf_counter() - begun
                    inserts = sum(batch.chunks_done for batch in done.batches)
                    print(f"{chunk_size:>10} | {concurrency:>11} | {seconds:7.1f} | {done.objects_done / seconds:9.1f} | {done.lines / seconds:12.0f} | {inserts:>7} | {done.lines:>5} | {done.status}", flush=True)
                    if done.lines != report.lines:
                        print(f"  count mismatch: expected {report.lines} lines, got {done.lines}", flush=True)
    finally:
        instance.close()
        server.stop()


if __name__ == "__main__":
    main()
