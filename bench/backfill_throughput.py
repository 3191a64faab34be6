"""Compare an S3 backfill run with a bare ClickHouse INSERT … SELECT FROM s3() of the same files.

Generates Torus statements with olap.generator, uploads them as gzip JSONL to moto's S3
server on loopback, then, on one embedded ClickHouse instance and in one process:

1. bare: `INSERT INTO raw_events SELECT <mapping> FROM s3(...)`, the statement a person
   would write by hand (rows only, no rejects, no line counts);
2. backfill: the product's backfill job (rows, rejects and line counts in one pass).

Each is run into a fresh database. Prints statements/s of both and their ratio.

    .venv/bin/python bench/backfill_throughput.py --statements 2000000
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path


def start_s3() -> str:
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False).start()
    endpoint = f"http://127.0.0.1:{port}"
    os.environ.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_REGION="us-east-1")
    return endpoint


def run_backfill_once(instance, app, settings: dict):
    from olap.core.models import BackfillRun
    from olap.plugins.backfill_s3 import service

    with app.app_context():
        run = service.schedule(instance, "s3://bench/xapi/**/*.jsonl.gz", settings, False, "bench")
        while True:
            instance.db.session.expire_all()
            run = instance.db.session.get(BackfillRun, run.id)
            if run.status in ("completed", "failed", "cancelled"):
                break
            time.sleep(0.2)
    if run.status != "completed":
        sys.exit(f"backfill run ended {run.status}: {run.error}")
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=2_000_000)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3, help="Rounds of each, alternating.")
    parser.add_argument("--settings", default="{}", help="ClickHouse settings of the backfill run, as JSON.")
    arguments = parser.parse_args()

    import logging

    logging.disable(logging.INFO)
    start_s3()
    from olap.core.app import create_app
    from olap.core.migrations import Migrator
    from olap.core.s3 import s3_client
    from olap.generator import generate
    from olap.ingest import mapping
    from olap.ingest.sql import row_select_sql
    from olap.plugins.backfill_s3.running import INSERT_SETTINGS, clickhouse_url

    work = Path(tempfile.mkdtemp(prefix="olap-bench-backfill-"))
    began = time.perf_counter()
    summary = generate(work / "data", events=arguments.statements, files=arguments.files, gzip=True, students=2000, sections=20, projects=4)
    client = s3_client()
    client.create_bucket(Bucket="bench")
    parts = sorted((work / "data").rglob("*.jsonl.gz"))
    for part in parts:
        client.upload_file(str(part), "bench", f"xapi/{part.relative_to(work / 'data').as_posix()}")
    print(f"generated and uploaded {summary.lines} lines in {len(parts)} files in {time.perf_counter() - began:.1f} s", flush=True)

    app = create_app({"OLAP_HOME": str(work / "home"), "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING", "OLAP_WORKER_THREADS": "1"})
    instance = app.extensions["olap"]
    instance.db.upgrade()
    Migrator(instance.config.clickhouse_admin).up()
    store = instance.clickhouse_admin

    # The bare statement reads the same files into a copy of raw_events in another database.
    store.command("CREATE DATABASE IF NOT EXISTS bare")
    store.command("CREATE TABLE bare.raw_events AS raw_events")
    source = (
        "(SELECT line AS raw, concat('s3://', _path) AS source_file, trim(BOTH '\"' FROM _etag) AS source_etag, _row_number + 1 AS source_line"
        " FROM s3({url:String}, {key:String}, {secret:String}, 'LineAsString', 'line String'))"
    )
    bare_sql = f"INSERT INTO bare.raw_events ({', '.join(mapping.ROW_COLUMNS)}) {row_select_sql(source)}"
    bare_parameters = {"url": clickhouse_url("bench", "xapi/**/*.jsonl.gz"), "key": "bench", "secret": "bench", "max_line_bytes": 1_048_576}
    bare_times, backfill_times = [], []
    # Alternating the two, several times, keeps a change in the machine's load from
    # favouring one of them; the medians are compared.
    for _round in range(arguments.repeat):
        store.command("TRUNCATE TABLE bare.raw_events")
        started = time.perf_counter()
        store.command(bare_sql, bare_parameters, settings={"short_circuit_function_evaluation": "disable", **json.loads(arguments.settings)})
        bare_times.append(time.perf_counter() - started)
        run = run_backfill_once(instance, app, json.loads(arguments.settings))
        backfill_times.append(run.duration_ms / 1000)
    bare_rows = store.query("SELECT count() FROM bare.raw_events").scalar()
    bare_seconds = statistics.median(bare_times)
    backfill_seconds = statistics.median(backfill_times)
    print(f"rounds: bare {[round(t, 1) for t in bare_times]} s, backfill {[round(t, 1) for t in backfill_times]} s")
    print(f"bare INSERT … SELECT FROM s3(): {bare_rows} rows in {bare_seconds:.1f} s = {bare_rows / bare_seconds:,.0f} statements/s")
    print(f"backfill run:                  {run.lines} lines ({run.rows_written} rows, {run.rejects} rejects) in {backfill_seconds:.1f} s = {run.lines / backfill_seconds:,.0f} statements/s")
    print(f"backfill / bare throughput:    {(run.lines / backfill_seconds) / (bare_rows / bare_seconds):.0%}")
    print(f"settings: backfill {INSERT_SETTINGS} plus {arguments.settings}; load average at the end: {os.getloadavg()}")
    instance.close()


if __name__ == "__main__":
    main()
