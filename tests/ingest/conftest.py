"""Statement builders and helpers shared by the ingest tests."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pyarrow as pa
import pytest

OLI = "http://oli.cmu.edu/extensions/"
VIDEO = "https://w3id.org/xapi/video/extensions/"

PART_ATTEMPT = {
    "actor": {"account": {"homePage": "https://lms.example.edu", "name": 900001}, "objectType": "Agent"},
    "context": {
        "extensions": {
            OLI + "section_id": 2051,
            OLI + "project_id": 318,
            OLI + "publication_id": 1427,
            OLI + "enrollment_id": 771203,
            OLI + "page_id": 40915,
            OLI + "activity_id": 41207,
            OLI + "part_id": "1",
            OLI + "part_attempt_guid": "d25fa12f-671e-4248-a737-e53c05e9f652",
            OLI + "part_attempt_number": 1,
            OLI + "hints_requested": [],
        }
    },
    "object": {
        "definition": {"type": "http://adlnet.gov/expapi/activities/question"},
        "id": "https://lms.example.edu/part_attempt/d25fa12f}",
        "objectType": "Activity",
    },
    "result": {"completion": True, "score": {"max": 1.0, "min": 0, "raw": 1.0, "scaled": 1.0}, "success": True},
    "timestamp": "2026-02-10T15:42:07Z",
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
}


def statement(*, extensions: dict | None = None, result: dict | None = None, drop: tuple[str, ...] = (), **top) -> dict:
    """A Torus part attempt with context extensions and result keys merged in and top-level keys replaced."""
    built = copy.deepcopy(PART_ATTEMPT)
    built["context"]["extensions"].update(extensions or {})
    built["result"].update(result or {})
    built.update(top)
    for key in drop:
        built.pop(key, None)
    return built


def line(value) -> bytes:
    """One compact JSONL line, keeping non-ASCII characters as UTF-8."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def read_lines(path: Path) -> list[bytes]:
    content = path.read_bytes()
    lines = content.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def load_lines_table(store, table: str, source_file: str, lines: list[bytes]) -> None:
    """Fill a (source_file, source_etag, source_line, raw) table with numbered lines."""
    store.insert_arrow(
        table,
        pa.table(
            {
                "source_file": pa.array([source_file] * len(lines), pa.string()),
                "source_etag": pa.array([""] * len(lines), pa.string()),
                "source_line": pa.array(range(1, len(lines) + 1), pa.uint64()),
                "raw": pa.array(lines, pa.binary()),
            }
        ),
    )


@pytest.fixture
def xapi_files(shared_data) -> dict[str, Path]:
    """The shared xAPI sample files by file name."""
    return {path.name: path for path in sorted((shared_data / "xapi").rglob("*.jsonl"))}
