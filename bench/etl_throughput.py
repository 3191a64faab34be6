"""Measure the Python/pyarrow transform and ingest_lines on generated Torus statements.

Run: .venv/bin/python bench/etl_throughput.py [--statements N] [--chunk N] [--processes N] [--ingest]

Generates statements with olap.generator.generate: the Torus shapes of part, activity
and page attempts, page views, video events, voiding statements and repeated lines.
Then it times the transform in this process and with worker processes
(olap.ingest.parallel), and with --ingest also ingest_lines into a throwaway embedded
ClickHouse. Each run
prints statements per second of wall-clock time and per CPU-second of this process
and its workers, because other programs on the machine change the first but hardly the
second, and the load average before the run.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from olap.generator import generate
from olap.ingest import ingest_lines, parallel
from olap.ingest.parallel import transform_chunks


def generated_lines(statements: int, seed: int) -> list[bytes]:
    with tempfile.TemporaryDirectory(prefix="etl-throughput-") as folder:
        summary = generate(folder, events=statements, files=1, seed=seed)
        return Path(summary.files[0]["location"]).read_bytes().splitlines()


def cpu_seconds(process_ids: list[int]) -> float:
    """CPU time of this process and of `process_ids`, from /proc (Linux)."""
    total = time.process_time()
    ticks = os.sysconf("SC_CLK_TCK")
    for process_id in process_ids:
        try:
            fields = Path(f"/proc/{process_id}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def report(name: str, statements: int, run) -> None:
    """Run `run()` once to start any workers, then time a second run and print both rates."""
    run()
    workers = parallel.worker_process_ids()
    load = os.getloadavg()[0]
    cpu_before = cpu_seconds(workers)
    started = time.perf_counter()
    run()
    wall = time.perf_counter() - started
    cpu = cpu_seconds(workers) - cpu_before
    print(
        f"{name:<34} {statements / wall:>9,.0f} statements/s wall  {statements / cpu:>9,.0f} statements/CPU-s"
        f"  ({wall:.2f} s wall, {cpu:.2f} CPU-s, load average {load:.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=200_000, help="number of generated statements")
    parser.add_argument("--chunk", type=int, default=10_000, help="lines per transform call, as ingest_lines uses")
    parser.add_argument("--processes", type=int, default=2, help="worker processes of the parallel runs")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generator")
    parser.add_argument("--ingest", action="store_true", help="also time ingest_lines into a throwaway embedded ClickHouse")
    options = parser.parse_args()

    lines = generated_lines(options.statements, options.seed)
    print(f"{len(lines)} lines, {sum(map(len, lines)) / 1e6:.1f} MB, chunks of {options.chunk} lines, {os.cpu_count()} CPUs")

    def transform(processes: int):
        def run():
            chunks = transform_chunks(lines, "bench.jsonl", chunk_lines=options.chunk, processes=processes)
            accounted = sum(transformed.rows.num_rows + transformed.rejects.num_rows for _, _, transformed in chunks)
            assert accounted == len(lines), f"{accounted} rows and rejects from {len(lines)} lines"
        return run

    report("transform, 1 process", len(lines), transform(1))
    report(f"transform, {options.processes} worker processes", len(lines), transform(options.processes))
    if options.ingest:
        ingest(lines, options)
    parallel.shutdown_pool()


def ingest(lines: list[bytes], options: argparse.Namespace) -> None:
    from olap.core.clickhouse import ClickHouse
    from olap.core.config import load_config
    from olap.core.migrations import Migrator

    with tempfile.TemporaryDirectory(prefix="etl-throughput-") as folder:
        config = load_config(environ={}, overrides={
            "OLAP_HOME": folder, "CLICKHOUSE_URL": f"chdb://{folder}/clickhouse", "CLICKHOUSE_DATABASE": "etl_throughput", "SECRET_KEY": "bench",
        })
        migrator = Migrator(config.clickhouse_admin)
        migrator.up()
        migrator.close()
        store = ClickHouse(config.clickhouse_admin)

        def run_with(processes: int):
            def run():
                # An empty table each time, so that every run inserts the same rows.
                store.command("TRUNCATE TABLE raw_events")
                store.command("TRUNCATE TABLE raw_events_rejected")
                summary = ingest_lines(store, lines, f"bench-{processes}.jsonl", chunk_lines=options.chunk, processes=processes)
                assert summary.lines == summary.inserted + summary.duplicates + summary.rejected
            return run

        report("ingest_lines, 1 process", len(lines), run_with(1))
        report(f"ingest_lines, {options.processes} worker processes", len(lines), run_with(options.processes))
        store.close()


if __name__ == "__main__":
    main()
