"""Measure the statement generator: statements per second on one core, plain and gzip.

Run: .venv/bin/python bench/generate_throughput.py [--events N] [--seed S]

Each run writes to a temporary folder that is deleted afterwards. The figure counts
statements (not duplicate lines) over the wall time of generate(), catalog included,
and over the CPU time of this process, which other load on the machine affects less.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time

from olap.generator import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500_000, help="statements per run")
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()

    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; {arguments.events} statements per run")
    for gzip_parts in (False, True):
        with tempfile.TemporaryDirectory(prefix="olap-generate-bench-") as folder:
            cpu_before = time.process_time()
            summary = generate(folder, events=arguments.events, seed=arguments.seed, gzip=gzip_parts)
            cpu_seconds = time.process_time() - cpu_before
        size = sum(part["bytes"] for part in summary.files)
        rate = summary.statements / summary.seconds
        print(
            f"{'gzip ' if gzip_parts else 'plain'}: {summary.statements} statements, {summary.lines} lines, "
            f"{len(summary.files)} files, {size / 1e6:.1f} MB in {summary.seconds:.2f} s = {rate:,.0f} statements/s, "
            f"{size / 1e6 / summary.seconds:.1f} MB/s written; {summary.statements / cpu_seconds:,.0f} statements per CPU second"
        )


if __name__ == "__main__":
    main()
