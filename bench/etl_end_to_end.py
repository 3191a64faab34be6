"""Measure the ETL function end to end: S3 objects on a loopback moto server to chDB rows.

Run: .venv/bin/python bench/etl_end_to_end.py [--statements N] [--objects N] [--gzip] [--profile]

Generates Torus-shaped part attempts from one template, uploads them as a few JSONL
objects, then times one SQS-wrapped handler call that names every object: reading from
S3, gunzip, transform, the duplicate lookup and the inserts into a throwaway chDB folder.
A second call of the same event measures a rerun, in which every statement is a
duplicate. --profile prints the top functions of the first call by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import json
import logging
import os
import pstats
import sys
import tempfile
import time
import uuid
from pathlib import Path

import boto3
from moto.server import ThreadedMotoServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cloud"))

import olap.ingest.loader  # noqa: E402
import olap.ingest.parallel  # noqa: E402
from olap.core.clickhouse import ClickHouse  # noqa: E402
from olap.core.config import load_config  # noqa: E402
from olap.core.migrations import Migrator  # noqa: E402
from xapi_etl import objects as etl_objects  # noqa: E402
from xapi_etl import settings as etl_settings  # noqa: E402
from xapi_etl.handler import handler  # noqa: E402

OLI = "http://oli.cmu.edu/extensions/"
TEMPLATE = (
    '{"actor":{"account":{"homePage":"https://lms.example.edu","name":%(user)d},"objectType":"Agent"},'
    '"context":{"extensions":{"' + OLI + 'activity_attempt_guid":"%(guid)s-a","' + OLI + 'activity_attempt_number":1,'
    '"' + OLI + 'activity_id":%(activity)d,"' + OLI + 'attached_objectives":[40871],"' + OLI + 'enrollment_id":%(enrollment)d,'
    '"' + OLI + 'hints_requested":[],"' + OLI + 'page_attempt_guid":"%(guid)s-p","' + OLI + 'page_id":%(page)d,'
    '"' + OLI + 'part_attempt_guid":"%(guid)s","' + OLI + 'part_attempt_number":1,"' + OLI + 'part_id":"1",'
    '"' + OLI + 'project_id":%(project)d,"' + OLI + 'publication_id":1427,"' + OLI + 'section_id":%(section)d,'
    '"' + OLI + 'session_id":"%(guid)s-s"}},'
    '"object":{"definition":{"name":{"en-US":"Part Attempt"},"type":"http://adlnet.gov/expapi/activities/question"},'
    '"id":"https://lms.example.edu/part_attempt/%(guid)s}","objectType":"Activity"},'
    '"result":{"completion":true,"response":{"input":"%(response)d"},"score":{"max":1.0,"min":0,"raw":%(score)d.0,"scaled":%(score)d.0},"success":true},'
    '"timestamp":"2026-02-%(day)02dT%(hour)02d:%(minute)02d:%(second)02dZ",'
    '"verb":{"display":{"en-US":"completed"},"id":"http://adlnet.gov/expapi/verbs/completed"}}'
)


def statement_line(index: int) -> bytes:
    """Format one Torus part attempt; the index makes its guid, and so its line, unique."""
    return (TEMPLATE % {
        "user": 48000 + index % 5000,
        "guid": str(uuid.UUID(int=index)),
        "activity": 41000 + index % 500,
        "enrollment": 770000 + index % 5000,
        "page": 40900 + index % 60,
        "project": 300 + index % 8,
        "section": 2000 + index % 40,
        "response": index * 7919 % 4294967296,
        "score": index % 2,
        "day": 1 + index // 86400 % 28,
        "hour": index // 3600 % 24,
        "minute": index // 60 % 60,
        "second": index % 60,
    }).encode()


class StepTimers:
    """Wall time spent in the main steps of a handler call, measured by wrapping their functions."""

    STEPS = (
        ("S3 GetObject and read", etl_objects, "read_object"),
        ("transform (pyarrow)", olap.ingest.parallel, "transform_lines"),
        ("duplicate lookup", olap.ingest.loader, "stored_payload_hashes"),
        ("insert_arrow", ClickHouse, "insert_arrow"),
    )

    def __init__(self, processes: int) -> None:
        # With worker processes the transform runs there, and a wrapped function could
        # not be sent to them, so it is left out of the table.
        steps = [step for step in self.STEPS if processes == 1 or step[2] != "transform_lines"]
        self.seconds = {name: 0.0 for name, _, _ in steps}
        for name, owner, attribute in steps:
            setattr(owner, attribute, self._timed(name, getattr(owner, attribute)))

    def _timed(self, name, function):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - started

        return timed

    def reset(self) -> None:
        self.seconds = dict.fromkeys(self.seconds, 0.0)

    def print(self, total: float) -> None:
        for name, seconds in self.seconds.items():
            print(f"  {name:<24} {seconds:6.2f} s  {100 * seconds / total:5.1f} %")
        rest = total - sum(self.seconds.values())
        print(f"  {'rest (split, gunzip, …)':<24} {rest:6.2f} s  {100 * rest / total:5.1f} %")


def sqs_event(bucket: str, keys: list[str]) -> dict:
    records = [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": bucket}, "object": {"key": key}}} for key in keys]
    body = json.dumps({"Records": records})
    return {"Records": [{"messageId": "bench-1", "eventSource": "aws:sqs", "body": body}]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=200_000, help="number of statements to generate")
    parser.add_argument("--objects", type=int, default=4, help="number of S3 objects the statements are split into")
    parser.add_argument("--gzip", action="store_true", help="upload the objects gzip-compressed")
    parser.add_argument("--profile", action="store_true", help="profile the first handler call with cProfile")
    parser.add_argument("--processes", type=int, default=1, help="transform worker processes of ingest_lines; with more than 1 the step table has no transform row")
    options = parser.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per S3 request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    workdir = tempfile.TemporaryDirectory(prefix="etl-bench-")
    os.environ.update({
        "AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_REGION": "us-east-1", "CLICKHOUSE_ADMIN_URL": f"chdb://{workdir.name}/clickhouse",
        "CLICKHOUSE_DATABASE": "etl_bench", "OLAP_HOME": workdir.name, "LOG_LEVEL": "WARNING",
    })
    os.environ.pop("CLICKHOUSE_URL", None)
    olap.ingest.parallel.DEFAULT_PROCESSES = options.processes
    try:
        run(options)
    finally:
        etl_settings.reset_runtime()
        server.stop()
        workdir.cleanup()


def run(options: argparse.Namespace) -> None:
    config = load_config()
    migrator = Migrator(config.clickhouse_admin)
    migrator.up()
    migrator.close()

    started = time.perf_counter()
    lines = [statement_line(index) for index in range(options.statements)]
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="bench")
    per_object = -(-len(lines) // options.objects)
    keys = []
    for number in range(options.objects):
        body = b"\n".join(lines[number * per_object : (number + 1) * per_object]) + b"\n"
        key = f"bundles/part {number:03d}.jsonl"
        s3.put_object(Bucket="bench", Key=key, Body=gzip.compress(body, 1) if options.gzip else body)
        keys.append(key)
    megabytes = sum(map(len, lines)) / 1e6
    print(f"{len(lines)} statements, {megabytes:.1f} MB in {len(keys)} objects{' (gzip)' if options.gzip else ''}, prepared in {time.perf_counter() - started:.1f} s")
    event = sqs_event("bench", [key.replace(" ", "+") for key in keys])

    timers = StepTimers(options.processes)
    profiler = cProfile.Profile() if options.profile else None
    print(f"load average before the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    response = handler(event)
    if profiler:
        profiler.disable()
    first = time.perf_counter() - started
    assert response == {"batchItemFailures": []}, response

    store = ClickHouse(config.clickhouse_admin)
    rows = store.query("SELECT count() FROM raw_events").scalar()
    store.close()
    assert rows == len(lines), f"expected {len(lines)} rows, found {rows}"
    print(f"first run: {len(lines) / first:,.0f} statements/s end to end ({first:.2f} s, {rows} rows)")
    timers.print(first)

    timers.reset()
    started = time.perf_counter()
    handler(event)
    rerun = time.perf_counter() - started
    print(f"rerun (all duplicates): {len(lines) / rerun:,.0f} statements/s ({rerun:.2f} s)")
    timers.print(rerun)

    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
