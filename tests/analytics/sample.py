"""A deterministic set of Torus-shaped xAPI statements and the events they should leave.

`generate()` builds statements for two sections of project 318 and one section of
project 400, then voids a few of them and repeats some lines. It returns the JSONL
lines to ingest and, for every statement the `events` view should keep, a flat Event
written by the generator itself, so tests compute expected numbers without going
through the ingest code they check.

Times are whole milliseconds (raw_events keeps milliseconds), and each student's
attempts of one activity have distinct attempt numbers and times, so no expected
order ever depends on the hashed event ids of statements without an `id`.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

OLI = "http://oli.cmu.edu/extensions/"
VIDEO = "https://w3id.org/xapi/video/extensions/"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
VIEWED = "http://id.tincanapi.com/verb/viewed"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
VIDEO_VERB = "https://w3id.org/xapi/video/verbs/"
ATTEMPT_TYPES = {
    "part_attempt": "http://adlnet.gov/expapi/activities/question",
    "activity_attempt": OLI + "activity_attempt",
    "page_attempt": OLI + "page_attempt",
}

# project id -> its section ids; section 3001 of project 400 is there to catch scope leaks.
PROJECTS = {318: (2051, 2077), 400: (3001,)}
START = datetime(2026, 2, 16, tzinfo=timezone.utc)
DAYS = 21
# Seen on 2026-02-28 in America/New_York and on 2026-03-01 in UTC.
NEW_YORK_LATE_EVENING = datetime(2026, 3, 1, 3, 30, tzinfo=timezone.utc)
# Played in both projects, so a per-video count that ignores the scope shows.
SHARED_VIDEO = "https://cdn.example.edu/videos/welcome.mp4"
TIED_ACTIVITIES = (400010, 400011, 400012, 400013)
# Scaled scores with every bucket boundary of the performance plugin.
SCORES = (0.0, 0.1, 0.2, 0.25, 0.4, 0.5, 0.6, 0.75, 0.8, 0.9, 1.0, 1.0, 1.0)
PROGRESS = (0.1, 0.35, 0.5, 0.79, 0.8, 0.95, 1.0)


@dataclass(frozen=True)
class Event:
    """The columns of one statement the analytics queries read, as the generator wrote them."""

    user_id: str
    section_id: int
    project_id: int
    timestamp: datetime
    event_type: str
    verb_id: str
    page_id: int | None = None
    activity_id: int | None = None
    activity_attempt_guid: str = ""
    activity_attempt_number: int | None = None
    scaled_score: float | None = None
    hints_requested: int | None = None
    completion: bool | None = None
    video_url: str = ""
    video_progress: float | None = None


@dataclass
class Sample:
    """Lines to ingest (first and second source file) and the events that must remain."""

    lines: list[bytes] = field(default_factory=list)
    repeated_lines: list[bytes] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    voided: list[Event] = field(default_factory=list)


def line(statement: dict) -> bytes:
    return json.dumps(statement, separators=(",", ":"), sort_keys=True).encode()


def iso(moment: datetime) -> str:
    """Format a UTC time as Torus does, with microseconds that are whole milliseconds."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Builder:
    """Turns Events into Torus statements and collects lines, keeping the Event of each."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.sample = Sample()

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def add(self, event: Event, *, statement_id: str = "", extra: dict | None = None) -> dict:
        statement = self.statement(event, extra or {})
        if statement_id:
            statement["id"] = statement_id
        self.sample.lines.append(line(statement))
        self.sample.events.append(event)
        return statement

    def void(self, event: Event) -> None:
        """Add `event` with a statement id, and a voiding statement that points at it."""
        voided_id = self.guid()
        self.add(event, statement_id=voided_id)
        self.sample.events.pop()
        self.sample.voided.append(event)
        voiding = {
            "actor": {"account": {"homePage": "https://lms.example.edu", "name": 1}, "objectType": "Agent"},
            "context": {"extensions": {OLI + "section_id": event.section_id, OLI + "project_id": event.project_id}},
            "id": self.guid(),
            "object": {"id": voided_id, "objectType": "StatementRef"},
            "timestamp": iso(event.timestamp + timedelta(hours=1)),
            "verb": {"display": {"en-US": "voided"}, "id": VOIDED},
        }
        self.sample.lines.append(line(voiding))

    def statement(self, event: Event, extra: dict) -> dict:
        extensions = {
            OLI + "section_id": event.section_id,
            OLI + "project_id": event.project_id,
            OLI + "publication_id": event.project_id * 10,
            OLI + "enrollment_id": int(event.user_id) + 500_000,
        }
        result: dict = {}
        if event.event_type == "video":
            extensions[OLI + "resource_id"] = event.page_id
            extensions[VIDEO + "length"] = 300.0
            if event.video_progress is not None:
                result["extensions"] = {VIDEO + "progress": event.video_progress, VIDEO + "time": event.video_progress * 300.0}
            obj = {"definition": {"type": "https://w3id.org/xapi/video/activity-type/video"}, "id": event.video_url, "objectType": "Activity"}
        elif event.event_type == "page_viewed":
            extensions[OLI + "page_id"] = event.page_id
            result = {"completion": event.completion, "success": True}
            obj = {"definition": {"subType": "basic", "type": OLI + "types/page"}, "id": f"lms.example.edu/page/{event.page_id}}}", "objectType": "Page"}
        elif event.event_type == "unknown":
            obj = {"definition": {"type": "http://oli.cmu.edu/extensions/types/tutor"}, "id": "https://lms.example.edu/tutor", "objectType": "Activity"}
        else:
            extensions[OLI + "page_id"] = event.page_id
            if event.activity_id is not None:
                extensions[OLI + "activity_id"] = event.activity_id
                extensions[OLI + "activity_attempt_guid"] = event.activity_attempt_guid
                extensions[OLI + "activity_attempt_number"] = event.activity_attempt_number
            if event.hints_requested is not None:
                extensions[OLI + "hints_requested"] = [f"hint-{index}" for index in range(event.hints_requested)]
            result = {"completion": True, "success": True, "score": {"max": 10.0, "min": 0, "raw": event.scaled_score * 10.0, "scaled": event.scaled_score}}
            obj = {"definition": {"type": ATTEMPT_TYPES[event.event_type]}, "id": f"https://lms.example.edu/{event.event_type}/{self.guid()}}}", "objectType": "Activity"}
        extensions.update(extra)
        return {
            "actor": {"account": {"homePage": "https://lms.example.edu", "name": int(event.user_id)}, "objectType": "Agent"},
            "context": {"extensions": extensions},
            "object": obj,
            "result": result,
            "timestamp": iso(event.timestamp),
            "verb": {"display": {"en-US": event.verb_id.rsplit("/", 1)[-1]}, "id": event.verb_id},
        }


def generate(seed: int = 7) -> Sample:
    """Build the sample: the same seed always gives the same lines and events."""
    rng = random.Random(seed)
    builder = Builder(rng)
    for project_id, section_ids in PROJECTS.items():
        for section_id in section_ids:
            students = [str(section_id * 100 + number) for number in range(1, 6)]
            if project_id == 318:
                students.append("700001")  # enrolled in both sections of project 318
            for user_id in students:
                add_student(builder, rng, user_id, section_id, project_id)
    add_edge_cases(builder)
    sample = builder.sample
    sample.repeated_lines = [sample.lines[index] for index in range(0, len(sample.lines), 9)]
    sample.lines.extend(sample.lines[3:6])  # the same line twice in one file
    return sample


def random_time(rng: random.Random) -> datetime:
    return START + timedelta(milliseconds=rng.randrange(DAYS * 86_400_000))


def add_student(builder: Builder, rng: random.Random, user_id: str, section_id: int, project_id: int) -> None:
    base = {"user_id": user_id, "section_id": section_id, "project_id": project_id}
    pages = [project_id * 100 + number for number in range(4)]

    for _ in range(rng.randint(2, 6)):
        builder.add(Event(**base, timestamp=random_time(rng), event_type="page_viewed", verb_id=VIEWED, page_id=rng.choice(pages), completion=rng.random() < 0.7))

    for activity_id in rng.sample([project_id * 1000 + number for number in range(5)], rng.randint(1, 4)):
        add_activity_attempts(builder, rng, base, activity_id, rng.choice(pages))

    if rng.random() < 0.6:
        score = rng.choice(SCORES)
        builder.add(Event(**base, timestamp=random_time(rng), event_type="page_attempt", verb_id=COMPLETED, page_id=rng.choice(pages), scaled_score=score))

    videos = [SHARED_VIDEO, f"https://cdn.example.edu/videos/p{project_id}-a.mp4", f"https://cdn.example.edu/videos/p{project_id}-b.mp4"]
    for video_url in rng.sample(videos, rng.randint(1, 3)):
        add_video_session(builder, rng, base, video_url, rng.choice(pages))

    if rng.random() < 0.3:
        builder.add(Event(**base, timestamp=random_time(rng), event_type="unknown", verb_id="http://activitystrea.ms/schema/1.0/create"))


def add_activity_attempts(builder: Builder, rng: random.Random, base: dict, activity_id: int, page_id: int) -> None:
    moment = random_time(rng)
    for number in range(1, rng.randint(1, 4) + 1):
        moment += timedelta(seconds=rng.randint(30, 4000))
        moment = moment.replace(microsecond=0)  # Torus attempt times have whole seconds
        guid = builder.guid()
        attempt = {**base, "page_id": page_id, "activity_id": activity_id, "activity_attempt_guid": guid, "activity_attempt_number": number}
        for part in range(rng.randint(0, 2)):
            hints = rng.choice((0, 0, 1, 2, 3))
            part_time = moment - timedelta(seconds=part + 1)
            builder.add(Event(**attempt, timestamp=part_time, event_type="part_attempt", verb_id=COMPLETED, scaled_score=rng.choice(SCORES), hints_requested=hints))
        builder.add(Event(**attempt, timestamp=moment, event_type="activity_attempt", verb_id=COMPLETED, scaled_score=rng.choice(SCORES)))


def add_video_session(builder: Builder, rng: random.Random, base: dict, video_url: str, page_id: int) -> None:
    moment = random_time(rng)
    video = {**base, "event_type": "video", "page_id": page_id, "video_url": video_url}
    for _ in range(rng.randint(1, 3)):
        builder.add(Event(**video, timestamp=moment, verb_id=VIDEO_VERB + "played"))
        moment += timedelta(milliseconds=rng.randint(1000, 90_000))
        if rng.random() < 0.3:
            builder.add(Event(**video, timestamp=moment, verb_id=VIDEO_VERB + "seeked"))
            moment += timedelta(milliseconds=rng.randint(1000, 9000))
        if rng.random() < 0.7:
            builder.add(Event(**video, timestamp=moment, verb_id=VIDEO_VERB + "paused", video_progress=rng.choice(PROGRESS)))
            moment += timedelta(milliseconds=rng.randint(1000, 9000))
    if rng.random() < 0.25:
        # A completed statement counts as completion whatever progress it reports.
        builder.add(Event(**video, timestamp=moment, verb_id=VIDEO_VERB + "completed", video_progress=rng.choice((0.5, 1.0))))


def add_edge_cases(builder: Builder) -> None:
    """Add statements on a time-zone day boundary, tied activities and statements that get voided."""
    late = {"user_id": "205101", "section_id": 2051, "project_id": 318}
    builder.add(Event(**late, timestamp=NEW_YORK_LATE_EVENING, event_type="page_viewed", verb_id=VIEWED, page_id=31800, completion=True))
    builder.add(Event(**late, timestamp=NEW_YORK_LATE_EVENING + timedelta(minutes=1), event_type="video", verb_id=VIDEO_VERB + "played", page_id=31800, video_url=SHARED_VIDEO))

    # Four activities of project 400 with 25 attempts each, more than any other activity
    # there: a top 3 by attempts must break the tie by activity id.
    tied = {"user_id": "300105", "section_id": 3001, "project_id": 400, "event_type": "activity_attempt", "verb_id": COMPLETED, "page_id": 40001}
    for offset, activity_id in enumerate((TIED_ACTIVITIES[3], TIED_ACTIVITIES[1], TIED_ACTIVITIES[0], TIED_ACTIVITIES[2])):
        for number in range(1, 26):
            builder.add(Event(
                **tied, timestamp=datetime(2026, 2, 24 + offset, 8, number, tzinfo=timezone.utc), activity_id=activity_id,
                activity_attempt_guid=builder.guid(), activity_attempt_number=number, scaled_score=SCORES[number % len(SCORES)],
            ))

    voided_attempt = Event(
        **late, timestamp=datetime(2026, 2, 20, 12, 0, tzinfo=timezone.utc), event_type="activity_attempt", verb_id=COMPLETED,
        page_id=31801, activity_id=318000, activity_attempt_guid="0f0f0f0f-0000-4000-8000-000000000001", activity_attempt_number=1, scaled_score=1.0,
    )
    builder.void(voided_attempt)
    builder.void(Event(**late, timestamp=datetime(2026, 2, 21, 9, 0, tzinfo=timezone.utc), event_type="page_viewed", verb_id=VIEWED, page_id=31802, completion=True))
    builder.void(Event(
        user_id="300101", section_id=3001, project_id=400, timestamp=datetime(2026, 2, 22, 9, 0, tzinfo=timezone.utc),
        event_type="video", verb_id=VIDEO_VERB + "completed", page_id=40000, video_url=SHARED_VIDEO, video_progress=1.0,
    ))
