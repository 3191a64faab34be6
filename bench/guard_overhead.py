"""Measure the custom SQL guard's overhead per query: parse, checks and rewrite, without running anything.

Runs every honest query of tests/custom/corpus/honest.sql through olap.plugins.custom.guard
for a section scope, ROUNDS times each, and prints the median and p95 in milliseconds per
query and per corpus entry. The goal is a median under 5 ms.

Usage: .venv/bin/python bench/guard_overhead.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from olap.core.scope import Scope
from olap.plugins.custom.guard import guard

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "custom" / "corpus" / "honest.sql"
GOAL_MEDIAN_MS = 5.0


def honest_queries() -> list[tuple[str, str]]:
    """Return (name, SQL) of every honest corpus entry, without its by-hand query."""
    queries = []
    for block in CORPUS.read_text().split("\n-- name: ")[1:]:
        name, _, rest = block.partition("\n")
        body = "\n".join(line for line in rest.split("\n") if not line.startswith("-- scope:"))
        queries.append((name.strip(), body.partition("\n-- by hand:\n")[0]))
    return queries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50, help="Times each query is guarded (default 50).")
    args = parser.parse_args(argv)
    scope = Scope.section(2051, 318)
    queries = honest_queries()
    for _name, sql in queries:  # warm-up: imports, caches of sqlglot and of the scope predicate
        guard(sql, scope)

    samples: list[float] = []
    per_query: dict[str, list[float]] = {name: [] for name, _sql in queries}
    for _round in range(args.rounds):
        for name, sql in queries:
            started = time.perf_counter()
            guard(sql, scope)
            elapsed_ms = (time.perf_counter() - started) * 1000
            samples.append(elapsed_ms)
            per_query[name].append(elapsed_ms)

    samples.sort()
    median = statistics.median(samples)
    p95 = samples[int(len(samples) * 0.95) - 1]
    slowest = max(per_query, key=lambda name: statistics.median(per_query[name]))
    print(f"guard overhead: {len(queries)} queries x {args.rounds} rounds = {len(samples)} runs")
    print(f"median {median:.2f} ms, p95 {p95:.2f} ms, max {samples[-1]:.2f} ms (goal: median < {GOAL_MEDIAN_MS} ms)")
    print(f"slowest query by median: {slowest} ({statistics.median(per_query[slowest]):.2f} ms)")
    return 0 if median < GOAL_MEDIAN_MS else 1


if __name__ == "__main__":
    sys.exit(main())
