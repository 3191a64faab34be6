"""Latency of every curated analytics query on a large raw_events table, directly and over HTTP.

Builds the table inside ClickHouse (INSERT … SELECT FROM numbers()) so 100M events take
minutes, with the distributions of generated Torus data: event kinds, skewed page
popularity, scores, hints, attempts and videos over a 15-week term. One section holds
`--section-events` events and its project `--project-events`; the rest spread over 200
other projects of 20 sections each. Then it reports p50/p95 of every query of every
bundled category plugin for the section and the project scope (olap.core.analytics,
the code the dashboards run), and p50/p95 of the dashboard partials over HTTP with
`--clients` concurrent signed-in clients.

    .venv/bin/python bench/analytics_latency.py --total 100000000
"""

from __future__ import annotations

import argparse
import concurrent.futures
import logging
import os
import statistics
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

SECTION_ID, PROJECT_ID = 5001, 50
TERM_START = "2026-01-12 00:00:00"
TERM_SECONDS = 105 * 86400

FILL = """
INSERT INTO raw_events (event_id, source_file, source_line, user_id, section_id, project_id, timestamp, event_type, verb_id,
    page_id, activity_id, activity_attempt_guid, activity_attempt_number, part_attempt_number, hints_requested,
    score, out_of, scaled_score, success, completion, video_url, video_progress, raw)
SELECT
    toString(n) AS event_id, 'bench' AS source_file, n AS source_line,
    toString(section_id * 1000 + h1 % 300) AS user_id,
    multiIf(n < {section_events:UInt64}, {section_id:UInt64},
            n < {project_events:UInt64}, {section_id:UInt64} + 1 + n % 9,
            (100 + n % 200) * 100 + intDiv(n, 200) % 20) AS section_id,
    if(n < {project_events:UInt64}, {project_id:UInt64}, 100 + n % 200) AS project_id,
    toDateTime64({term_start:String}, 3, 'UTC') + toIntervalMillisecond((h2 % {term_seconds:UInt64}) * 1000 + h3 % 1000) AS timestamp,
    multiIf(kind < 45, 'page_viewed', kind < 70, 'part_attempt', kind < 82, 'activity_attempt', kind < 87, 'page_attempt', kind < 97, 'video', 'unknown') AS event_type,
    multiIf(kind < 45, 'http://id.tincanapi.com/verb/viewed', kind < 87, 'http://adlnet.gov/expapi/verbs/completed',
            kind < 97, arrayElement(['https://w3id.org/xapi/video/verbs/played', 'https://w3id.org/xapi/video/verbs/paused',
                                     'https://w3id.org/xapi/video/verbs/seeked', 'https://w3id.org/xapi/video/verbs/completed'], 1 + h3 % 4),
            'http://adlnet.gov/expapi/verbs/experienced') AS verb_id,
    toUInt64(floor(60 * pow((h4 % 10000) / 10000, 2.5))) + 1 AS page_id,
    if(kind >= 45 AND kind < 82, page_id * 10 + h3 % 5, NULL) AS activity_id,
    if(kind >= 45 AND kind < 82, toString(cityHash64(user_id, activity_id, h5 % 3)), '') AS activity_attempt_guid,
    if(kind >= 45 AND kind < 82, toUInt32(1 + h5 % 3), NULL) AS activity_attempt_number,
    if(kind >= 45 AND kind < 70, toUInt32(1 + h5 % 3), NULL) AS part_attempt_number,
    if(kind >= 45 AND kind < 70, toUInt32(h6 % 4), NULL) AS hints_requested,
    if(kind >= 45 AND kind < 87, toFloat64(h6 % 11), NULL) AS score,
    if(kind >= 45 AND kind < 87, 10.0, NULL) AS out_of,
    if(kind >= 45 AND kind < 87, (h6 % 11) / 10, NULL) AS scaled_score,
    if(kind >= 45 AND kind < 87, true, NULL) AS success,
    if(kind < 87, true, NULL) AS completion,
    if(kind >= 87 AND kind < 97, concat('https://media.example.edu/video/', toString(h4 % 30), '.mp4'), '') AS video_url,
    if(kind >= 87 AND kind < 97, (h5 % 101) / 100, NULL) AS video_progress,
    '' AS raw
FROM (
    SELECT number AS n, cityHash64(number) AS h1, cityHash64(number, 2) AS h2, cityHash64(number, 3) AS h3,
           cityHash64(number, 4) AS h4, cityHash64(number, 5) AS h5, cityHash64(number, 6) AS h6, h1 % 100 AS kind
    FROM numbers({first:UInt64}, {count:UInt64})
)
"""


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def build_table(store, total: int, section_events: int, project_events: int, batch: int) -> float:
    started = time.perf_counter()
    for first in range(0, total, batch):
        store.command(FILL, {"first": first, "count": min(batch, total - first), "section_events": section_events, "project_events": project_events, "section_id": SECTION_ID, "project_id": PROJECT_ID, "term_start": TERM_START, "term_seconds": TERM_SECONDS}, settings={"max_insert_threads": 2})
        print(f"  inserted {min(first + batch, total):,} of {total:,} events ({time.perf_counter() - started:.0f} s)", flush=True)
    store.command("OPTIMIZE TABLE raw_events FINAL")
    return time.perf_counter() - started


def seed_metadata(instance) -> None:
    from olap.core.auth import create_user
    from olap.core.flags import set_flag
    from olap.core.models import Project, Section

    session = instance.db.session
    session.add(Project(id=PROJECT_ID, title="Benchmark project"))
    session.flush()
    session.add_all([Section(id=SECTION_ID + offset, project_id=PROJECT_ID, title=f"Benchmark section {offset}", time_zone="America/New_York", start_date=date(2026, 1, 12), end_date=date(2026, 4, 26)) for offset in range(10)])
    session.flush()
    create_user(session, "bench@example.edu", "bench-password", "admin")
    session.commit()
    for flag in ("instructor_dashboard_analytics", "project_dashboard_analytics"):
        set_flag(instance.config.flags_file, instance.registry.flags, flag, True)


def direct_latencies(instance, rounds: int) -> list[tuple[str, str, float, float, int]]:
    from olap.core.analytics import parse_filters, run_query
    from olap.core.scope import Scope

    scopes = {"section": Scope.section(SECTION_ID, PROJECT_ID), "project": Scope.project(PROJECT_ID, [SECTION_ID + offset for offset in range(10)])}
    filters = parse_filters({}, date(2026, 1, 12), date(2026, 4, 26), "America/New_York")
    limits = {"max_execution_time": 60, "readonly": 2, "do_not_merge_across_partitions_select_final": 1}
    table = []
    for query in sorted(instance.registry.queries.values(), key=lambda q: (q.category, q.id)):
        if query.category == "custom":
            continue
        for kind, scope in scopes.items():
            run_query(instance.clickhouse, query, scope, filters, limits)  # warm-up
            samples, rows = [], 0
            for _round in range(rounds):
                result = run_query(instance.clickhouse, query, scope, filters, limits)
                if result.state == "error":
                    raise SystemExit(f"{query.id} failed: {result.error}")
                samples.append(result.elapsed_ms)
                rows = len(result.rows)
            table.append((query.id, kind, percentile(samples, 0.5), percentile(samples, 0.95), rows))
    return table


def http_latencies(app, clients: int, requests_per_client: int) -> tuple[float, float, int]:
    import requests
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    categories = [c.id for c in app.extensions["olap"].registry.categories.values() if c.id != "custom"]
    paths = [f"/sections/{SECTION_ID}/analytics/{category}" for category in categories] + [f"/projects/{PROJECT_ID}/analytics/{category}" for category in categories]

    def client(number: int) -> list[float]:
        session = requests.Session()
        page = session.get(f"{base}/login").text
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        session.post(f"{base}/login", data={"email": "bench@example.edu", "password": "bench-password", "csrf_token": token})
        samples = []
        for request_number in range(requests_per_client):
            path = paths[(number + request_number) % len(paths)]
            started = time.perf_counter()
            response = session.get(base + path, headers={"HX-Request": "true"}, timeout=120)
            samples.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{path}: HTTP {response.status_code}")
        return samples

    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        samples = [value for result in pool.map(client, range(clients)) for value in result]
    server.shutdown()
    return percentile(samples, 0.5), percentile(samples, 0.95), len(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, default=100_000_000)
    parser.add_argument("--section-events", type=int, default=1_000_000)
    parser.add_argument("--project-events", type=int, default=5_000_000)
    parser.add_argument("--batch", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests-per-client", type=int, default=10)
    parser.add_argument("--home", default="", help="Instance folder to reuse; the table is built only when empty.")
    arguments = parser.parse_args()
    logging.disable(logging.WARNING)

    from olap.core.app import create_app
    from olap.core.migrations import Migrator

    home = Path(arguments.home or tempfile.mkdtemp(prefix="olap-bench-analytics-"))
    app = create_app({"OLAP_HOME": str(home), "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING"}, start_workers=False)
    instance = app.extensions["olap"]
    instance.db.upgrade()
    Migrator(instance.config.clickhouse_admin).up()
    if not instance.clickhouse_admin.query("SELECT count() FROM raw_events").scalar():
        print(f"building raw_events with {arguments.total:,} events in {home}", flush=True)
        seconds = build_table(instance.clickhouse_admin, arguments.total, arguments.section_events, arguments.project_events, arguments.batch)
        seed_metadata(instance)
        print(f"built in {seconds:.0f} s", flush=True)
    counts = instance.clickhouse_admin.query(
        "SELECT count(), countIf(section_id = {s:UInt64}), countIf(project_id = {p:UInt64}) FROM raw_events", {"s": SECTION_ID, "p": PROJECT_ID}
    ).rows[0]
    print(f"raw_events: {counts[0]:,} events; section {SECTION_ID}: {counts[1]:,}; project {PROJECT_ID}: {counts[2]:,}")
    print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()}")

    print("\n| query | scope | p50 ms | p95 ms | rows |\n|---|---|---|---|---|")
    table = direct_latencies(instance, arguments.rounds)
    for query_id, kind, p50, p95, rows in table:
        print(f"| {query_id} | {kind} | {p50:.0f} | {p95:.0f} | {rows} |")
    for kind in ("section", "project"):
        scoped = [row for row in table if row[1] == kind]
        print(f"\n{kind}: median of query p50s {statistics.median(r[2] for r in scoped):.0f} ms, worst p95 {max(r[3] for r in scoped):.0f} ms")

    p50, p95, count = http_latencies(app, arguments.clients, arguments.requests_per_client)
    print(f"\nHTTP partials, {arguments.clients} concurrent clients, {count} requests: p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    print(f"load average after: {os.getloadavg()}")
    instance.close()


if __name__ == "__main__":
    main()
