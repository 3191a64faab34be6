"""Fixtures of the custom SQL tests: events of three sections in two projects, so a scope leak shows."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import uuid

import pytest

from olap.core.clickhouse import ClickHouse
from olap.core.config import load_config
from olap.core.migrations import Migrator
from olap.core.scope import Scope
from olap.ingest import ingest_lines

OLI = "http://oli.cmu.edu/extensions/"
VIDEO = "https://w3id.org/xapi/video/extensions/"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
VIEWED = "http://id.tincanapi.com/verb/viewed"
START = datetime(2026, 2, 16, 14, 0, tzinfo=timezone.utc)
# section id -> (project id, first user id, number of students); users never overlap.
SECTIONS = {2051: (318, 1000, 6), 2077: (318, 2000, 4), 3001: (400, 3000, 5)}
SECTION = Scope.section(2051, 318)
PROJECT = Scope.project(318, [2051, 2077])
# Text written into raw_events_rejected, which no custom query may ever return.
REJECTED_MARKER = "SECRET-REJECTED-LINE"


def statement(user_id: int, section_id: int, project_id: int, moment: datetime, kind: str, page_id: int, score: float = 0.0, activity_id: int = 0, progress: float = 0.0) -> str:
    """Return one xAPI statement line of kind page_viewed, activity_attempt or video."""
    extensions = {OLI + "section_id": section_id, OLI + "project_id": project_id, OLI + "page_id": page_id}
    result: dict = {}
    verb = COMPLETED
    if kind == "page_viewed":
        verb = VIEWED
        target = {"definition": {"type": OLI + "types/page"}, "id": f"lms.example.edu/page/{page_id}", "objectType": "Page"}
    elif kind == "activity_attempt":
        extensions[OLI + "activity_id"] = activity_id
        extensions[OLI + "activity_attempt_guid"] = f"a-{user_id}-{activity_id}-{moment.timestamp():.0f}"
        extensions[OLI + "hints_requested"] = ["hint"] * (user_id % 3)
        result = {"completion": True, "success": score >= 0.5, "score": {"max": 10.0, "min": 0, "raw": score * 10, "scaled": score}}
        target = {"definition": {"type": OLI + "activity_attempt"}, "id": f"https://lms.example.edu/attempt/{user_id}-{activity_id}-{moment.timestamp():.0f}", "objectType": "Activity"}
    else:
        verb = "https://w3id.org/xapi/video/verbs/played"
        extensions[OLI + "resource_id"] = page_id
        extensions[VIDEO + "length"] = 300.0
        result = {"extensions": {VIDEO + "progress": progress, VIDEO + "time": progress * 300}}
        target = {"definition": {"type": "https://w3id.org/xapi/video/activity-type/video"}, "id": f"https://cdn.example.edu/video/{page_id}.mp4", "objectType": "Activity"}
    return json.dumps({
        "actor": {"account": {"homePage": "https://lms.example.edu", "name": user_id}, "objectType": "Agent"},
        "context": {"extensions": extensions},
        "object": target,
        "result": result,
        "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "verb": {"id": verb},
    })


def sample_lines() -> list[str]:
    """Return the statements of every section: views, scored attempts and video plays over two weeks."""
    lines = []
    for section_id, (project_id, first_user, students) in SECTIONS.items():
        for offset in range(students):
            user_id = first_user + offset
            for day in range(0, 14, 1 + offset % 3):
                moment = START + timedelta(days=day, hours=offset, minutes=section_id % 60)
                page_id = 10 + (day + offset) % 4
                lines.append(statement(user_id, section_id, project_id, moment, "page_viewed", page_id))
                score = ((user_id * 7 + day * 3) % 11) / 10
                lines.append(statement(user_id, section_id, project_id, moment + timedelta(minutes=5), "activity_attempt", page_id, score=score, activity_id=500 + day % 3))
                if day % 2 == 0:
                    lines.append(statement(user_id, section_id, project_id, moment + timedelta(minutes=9), "video", page_id, progress=((offset + day) % 10) / 10))
    return lines


def ingest_sample(store) -> None:
    """Ingest the sample and one broken line, which lands in raw_events_rejected."""
    ingest_lines(store, sample_lines() + ['{"broken": "' + REJECTED_MARKER + '"'], "custom-fixture.jsonl")
    rejected = store.query("SELECT count() FROM raw_events_rejected").scalar()
    assert rejected == 1, "the fixture expects its one broken line in raw_events_rejected"


@pytest.fixture(scope="module")
def events_store(chdb_path):
    """A migrated database with the sample, shared by the read-only tests of one module."""
    config = load_config(environ={}, overrides={"OLAP_HOME": str(chdb_path.parent / "custom-home"), "CLICKHOUSE_URL": f"chdb://{chdb_path}", "CLICKHOUSE_DATABASE": f"custom_{uuid.uuid4().hex[:12]}"})
    migrator = Migrator(config.clickhouse_admin)
    migrator.up()
    migrator.close()
    store = ClickHouse(config.clickhouse_admin)
    ingest_sample(store)
    yield store
    store.command(f"DROP DATABASE IF EXISTS `{config.clickhouse.database}` SYNC")
    store.close()


@pytest.fixture
def writable_store(clickhouse):
    """A fresh database with the sample, for tests that insert rows."""
    ingest_sample(clickhouse)
    return clickhouse
