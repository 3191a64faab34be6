"""Measure the Python/pyarrow transform: synthetic Torus statements to raw_events Arrow tables.

Run: .venv/bin/python bench/etl_throughput.py [--statements N] [--chunk N] [--processes N]

Prints statements per second for one process and for a pool of processes that each
transform whole chunks, the way parallel ETL invocations would. Nothing is inserted.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from concurrent.futures import ProcessPoolExecutor

import orjson

from olap.ingest.transform import transform_lines

OLI = "http://oli.cmu.edu/extensions/"
VIDEO = "https://w3id.org/xapi/video/extensions/"


def context(rng: random.Random, user: int, **extra) -> dict:
    extensions = {
        OLI + "section_id": 2000 + user % 40,
        OLI + "project_id": 300 + user % 8,
        OLI + "publication_id": 1400 + user % 8,
        OLI + "enrollment_id": 770000 + user,
        OLI + "page_attempt_guid": f"{rng.getrandbits(128):032x}",
        OLI + "page_attempt_number": rng.randint(1, 3),
    }
    extensions.update({OLI + key: value for key, value in extra.items()})
    return {"extensions": extensions}


def part_attempt(rng: random.Random, user: int, second: int) -> dict:
    score = float(rng.randint(0, 1))
    return {
        "actor": {"account": {"homePage": "https://lms.example.edu", "name": user}, "objectType": "Agent"},
        "context": context(
            rng,
            user,
            activity_attempt_guid=f"{rng.getrandbits(128):032x}",
            activity_attempt_number=1,
            activity_id=41000 + rng.randint(0, 500),
            activity_revision_id=188000 + rng.randint(0, 900),
            attached_objectives=[40871],
            hints_requested=["2903518864"] * rng.randint(0, 2),
            page_id=40900 + rng.randint(0, 60),
            part_attempt_guid=f"{rng.getrandbits(128):032x}",
            part_attempt_number=1,
            part_id="1",
            session_id=f"{rng.getrandbits(128):032x}",
        ),
        "object": {
            "definition": {"name": {"en-US": "Part Attempt"}, "type": "http://adlnet.gov/expapi/activities/question"},
            "id": f"https://lms.example.edu/part_attempt/{rng.getrandbits(64):016x}}}",
            "objectType": "Activity",
        },
        "result": {
            "completion": True,
            "extensions": {OLI + "feedback": {"content": [{"children": [{"text": "Correct."}], "id": "n1", "type": "p"}], "id": "28"}},
            "response": {"input": str(rng.getrandbits(32))},
            "score": {"max": 1.0, "min": 0, "raw": score, "scaled": score},
            "success": True,
        },
        "timestamp": f"2026-02-{1 + second // 86400 % 28:02d}T{second // 3600 % 24:02d}:{second // 60 % 60:02d}:{second % 60:02d}Z",
        "verb": {"display": {"en-US": "completed"}, "id": "http://adlnet.gov/expapi/verbs/completed"},
    }


def page_viewed(rng: random.Random, user: int, second: int) -> dict:
    page_id = 40900 + rng.randint(0, 60)
    return {
        "actor": {"account": {"homePage": "lms.example.edu", "name": user}, "objectType": "Agent"},
        "context": context(rng, user, page_id=page_id),
        "object": {
            "definition": {"name": {"en-US": "Page"}, "subType": "basic", "type": OLI + "types/page"},
            "id": f"lms.example.edu/page/{page_id}}}",
            "objectType": "Page",
        },
        "result": {"completion": True, "success": True},
        "timestamp": f"2026-02-{1 + second // 86400 % 28:02d}T{second // 3600 % 24:02d}:{second // 60 % 60:02d}:{second % 60:02d}.{rng.randint(0, 999999):06d}Z",
        "verb": {"display": {"en-US": "viewed"}, "id": "http://id.tincanapi.com/verb/viewed"},
    }


def video_paused(rng: random.Random, user: int, second: int) -> dict:
    length = rng.uniform(60, 900)
    time_point = rng.uniform(0, length)
    return {
        "actor": {"account": {"homePage": "lms.example.edu", "name": user}, "objectType": "Agent"},
        "context": {
            "contextActivities": {"category": [{"id": "https://w3id.org/xapi/video"}]},
            "extensions": {**context(rng, user, resource_id=40915, content_element_id="3185893427")["extensions"], VIDEO + "length": length},
        },
        "object": {"definition": {"type": "https://w3id.org/xapi/video/activity-type/video"}, "id": "https://media.example.edu/v.mp4", "objectType": "Activity"},
        "registration": "2051-40915-3185893427",
        "result": {"extensions": {VIDEO + "played-segments": f"0[.]{time_point:.3f}", VIDEO + "progress": time_point / length, VIDEO + "time": time_point}},
        "timestamp": f"2026-02-{1 + second // 86400 % 28:02d}T{second // 3600 % 24:02d}:{second // 60 % 60:02d}:{second % 60:02d}.{rng.randint(0, 999999):06d}Z",
        "verb": {"display": {"en-US": "paused"}, "id": "https://w3id.org/xapi/video/verbs/paused"},
    }


def synthetic_lines(count: int, seed: int = 7) -> list[bytes]:
    """Torus-shaped JSONL lines with sorted keys, as Torus's encoder writes them."""
    rng = random.Random(seed)
    makers = (part_attempt, part_attempt, page_viewed, video_paused)
    return [orjson.dumps(makers[index % 4](rng, 48000 + rng.randint(0, 5000), index), option=orjson.OPT_SORT_KEYS) for index in range(count)]


def transform_chunk(chunk: list[bytes]) -> int:
    return transform_lines(chunk, "bench.jsonl").rows.num_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=200_000, help="number of synthetic statements")
    parser.add_argument("--chunk", type=int, default=10_000, help="lines per transform call, as ingest_lines uses")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1, help="processes of the parallel run")
    options = parser.parse_args()

    lines = synthetic_lines(options.statements)
    chunks = [lines[start : start + options.chunk] for start in range(0, len(lines), options.chunk)]
    megabytes = sum(map(len, lines)) / 1e6
    print(f"{len(lines)} statements, {megabytes:.1f} MB, {len(chunks)} chunks of up to {options.chunk} lines")

    started = time.perf_counter()
    rows = sum(transform_chunk(chunk) for chunk in chunks)
    single = time.perf_counter() - started
    assert rows == len(lines), f"expected every synthetic line to become a row, got {rows} of {len(lines)}"
    print(f"1 process: {len(lines) / single:,.0f} statements/s ({single:.2f} s)")

    with ProcessPoolExecutor(options.processes) as pool:
        list(pool.map(transform_chunk, chunks[: options.processes]))  # start the workers first
        started = time.perf_counter()
        rows = sum(pool.map(transform_chunk, chunks))
        parallel = time.perf_counter() - started
    assert rows == len(lines)
    print(f"{options.processes} processes: {len(lines) / parallel:,.0f} statements/s ({parallel:.2f} s)")


if __name__ == "__main__":
    main()
