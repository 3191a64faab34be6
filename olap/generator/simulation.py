"""Study sessions of simulated students, turned into Torus statements day by day.

A session is one student's sitting: page views, embedded videos, activity attempts with
retries until success, and the page attempt of a graded page. Which pages a student opens
follows a Zipf-like popularity weighed by the syllabus week. Sessions start more often in
the local evening of the student's section and early in the week.
"""

from __future__ import annotations

import math
import random
from bisect import bisect
from datetime import date, datetime, timedelta, timezone
from itertools import accumulate
from typing import Iterator
from zoneinfo import ZoneInfo

from olap.generator import statements as st
from olap.generator.catalog import Activity, Catalog, Page, Part, Project, Student, Video

ATTEMPT_HOST = "https://lms.example.edu"
# page_viewed and video statements carry the bare host, as Torus's LiveView and XAPIController paths do.
VIEW_HOST = "lms.example.edu"
# Relative activity by weekday, Monday first: busiest early in the week, a Sunday catch-up.
WEEKDAY_WEIGHTS = (1.35, 1.25, 1.1, 1.0, 0.75, 0.55, 0.9)
# Relative chance that a session starts in each local hour, peaking in the evening.
HOUR_WEIGHTS = (0.3, 0.15, 0.08, 0.05, 0.05, 0.1, 0.3, 0.6, 1.0, 1.3, 1.5, 1.5, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9, 2.1, 2.6, 3.0, 3.0, 2.4, 1.2)
HOUR_CUMULATIVE = tuple(accumulate(HOUR_WEIGHTS))
MAX_ATTEMPTS = 4
KINDS = ("page_viewed", "part_attempt", "activity_attempt", "page_attempt", "video_played", "video_paused", "video_seeked", "video_completed", "voiding")


def day_weights(weeks: int, start: date) -> list[float]:
    """Relative activity of each day of a term: weekday, a slow decline, busier midterm and final weeks."""
    weights = []
    for day in range(weeks * 7):
        week = day // 7
        weight = WEEKDAY_WEIGHTS[(start + timedelta(days=day)).weekday()]
        weight *= 1.0 - 0.35 * week / max(weeks, 1)
        if week == 0:
            weight *= 0.8
        if week == weeks // 2 or week == weeks - 1:
            weight *= 1.4
        weights.append(weight)
    return weights


def split_budget(total: int, weights: list[float]) -> list[int]:
    """Split `total` statements over days in proportion to `weights`; the parts sum to `total` exactly."""
    scale = total / math.fsum(weights)
    budgets = []
    running = 0.0
    assigned = 0
    for weight in weights:
        running += weight * scale
        share = round(running) - assigned
        budgets.append(share)
        assigned += share
    return budgets


class Clock:
    """Formats epoch times as Torus timestamps: whole seconds for attempts, microseconds otherwise."""

    def __init__(self) -> None:
        self._day_prefixes: dict[int, str] = {}

    def _prefix(self, day: int) -> str:
        prefix = self._day_prefixes.get(day)
        if prefix is None:
            prefix = (date(1970, 1, 1) + timedelta(days=day)).isoformat() + "T"
            self._day_prefixes[day] = prefix
        return prefix

    def seconds(self, micros: int) -> str:
        second = micros // 1_000_000
        day, rest = divmod(second, 86400)
        hour, rest = divmod(rest, 3600)
        minute, second = divmod(rest, 60)
        return f"{self._prefix(day)}{hour:02d}:{minute:02d}:{second:02d}Z"

    def micros(self, micros: int) -> str:
        second, fraction = divmod(micros, 1_000_000)
        day, rest = divmod(second, 86400)
        hour, rest = divmod(rest, 3600)
        minute, second = divmod(rest, 60)
        return f"{self._prefix(day)}{hour:02d}:{minute:02d}:{second:02d}.{fraction:06d}Z"


class Simulation:
    """Draws sessions for a catalog and returns their statements.

    `id_share` is the share of statements that get an explicit UUID `id`, and
    `void_share` the share of those that a later voiding statement of the same session voids.
    """

    def __init__(self, rng: random.Random, catalog: Catalog, id_share: float, void_share: float):
        self.rng = rng
        self.catalog = catalog
        self.id_share = id_share
        self.void_share = void_share
        self.clock = Clock()
        self.student_cumulative = list(accumulate(student.engagement for student in catalog.students))
        self.seen_intro = bytearray(len(catalog.students))
        self.zones = [ZoneInfo(section.time_zone) for section in catalog.sections]
        self.midnights: list[int] = []
        self.page_tables: list[tuple[list[float], list[Page]]] = []

    def run(self, budgets: list[int]) -> Iterator[tuple[str, str, str]]:
        """Yield exactly sum(budgets) statements as (kind, line, statement id or ''), day by day.

        The last session of a day is cut short at the day's budget. A voiding statement
        always follows the statement it voids, so a cut never leaves one without the other
        being written first.
        """
        for day, budget in enumerate(budgets):
            if budget <= 0:
                continue
            self._start_day(day)
            produced = 0
            while produced < budget:
                session = self._session()
                kept = session[: budget - produced]
                produced += len(kept)
                yield from kept

    def _start_day(self, day: int) -> None:
        today = self.catalog.start + timedelta(days=day)
        noon = datetime(today.year, today.month, today.day, 12)
        utc_midnight = int(datetime(today.year, today.month, today.day, tzinfo=timezone.utc).timestamp())
        self.midnights = [utc_midnight - int(zone.utcoffset(noon).total_seconds()) for zone in self.zones]
        week = day // 7
        self.page_tables = [self._page_table(project, week) for project in self.catalog.projects]

    @staticmethod
    def _page_table(project: Project, week: int) -> tuple[list[float], list[Page]]:
        """Cumulative view weights of a project's pages in `week`: popularity times schedule."""
        weights = []
        for page in project.pages:
            if page.week == week:
                schedule = 4.0
            elif page.week == week - 1:
                schedule = 2.0
            elif page.week < week:
                schedule = 0.7
            else:
                schedule = 0.12
            weights.append(page.popularity * schedule)
        return list(accumulate(weights)), project.pages

    def _uuid(self) -> str:
        bits = self.rng.getrandbits(128)
        text = f"{bits:032x}"
        return f"{text[:8]}-{text[8:12]}-4{text[13:16]}-{'89ab'[(bits >> 60) & 3]}{text[17:20]}-{text[20:]}"

    def _statement_id(self, voids: list[str]) -> str:
        """Draw a UUID for `id_share` of the statements and '' for the rest; add it to `voids` when it is to be voided."""
        if self.rng.random() >= self.id_share:
            return ""
        statement_id = self._uuid()
        if self.rng.random() < self.void_share:
            voids.append(statement_id)
        return statement_id

    def _session(self) -> list[tuple[str, str, str]]:
        rng = self.rng
        catalog = self.catalog
        index = bisect(self.student_cumulative, rng.random() * self.student_cumulative[-1])
        index = min(index, len(catalog.students) - 1)
        student = catalog.students[index]
        section = catalog.sections[student.section_index]
        project = catalog.projects[section.project_index]
        hour = bisect(HOUR_CUMULATIVE, rng.random() * HOUR_CUMULATIVE[-1])
        start = self.midnights[student.section_index] + hour * 3600 + rng.randrange(3600)
        session = Session(self, student, section.section_id, project, start * 1_000_000 + rng.randrange(1_000_000))

        if not self.seen_intro[index]:
            self.seen_intro[index] = 1
            if rng.random() < 0.6:
                session.watch_video(project.intro_video, None, None, project.pages[0].page_id)
        cumulative, pages = self.page_tables[section.project_index]
        visits = 1
        while visits < 8 and rng.random() < 0.6:
            visits += 1
        for _ in range(visits):
            page = pages[min(bisect(cumulative, rng.random() * cumulative[-1]), len(pages) - 1)]
            session.visit_page(page)
        session.void_marked()
        return session.out


class Session:
    """One sitting of one student; `out` collects (kind, line, statement id) in time order."""

    def __init__(self, simulation: Simulation, student: Student, section_id: int, project: Project, start_micros: int):
        self.sim = simulation
        self.rng = simulation.rng
        self.clock = simulation.clock
        self.student = student
        self.section_id = section_id
        self.project = project
        self.now = start_micros
        self.session_id = simulation._uuid()
        self.attempt_actor = st.actor(ATTEMPT_HOST, student.user_id)
        self.view_actor = st.actor(VIEW_HOST, student.user_id)
        self.scope_json = st.scope_members(project.project_id, project.publication_id, section_id)
        self.voids: list[str] = []
        self._last_id = ""
        self.out: list[tuple[str, str, str]] = []

    def _id(self) -> str:
        self._last_id = self.sim._statement_id(self.voids)
        return self._last_id

    def _emit(self, kind: str, line: str) -> None:
        """Record a statement built with the id of the latest _id() call."""
        self.out.append((kind, line, self._last_id))

    def _advance(self, seconds: float) -> None:
        self.now += int(seconds * 1_000_000)

    def visit_page(self, page: Page) -> None:
        rng = self.rng
        project = self.project
        student = self.student
        attempt_number = 1
        if rng.random() >= 0.85:
            attempt_number = 2 if rng.random() < 0.8 else 3
        attempt_guid = self.sim._uuid()
        context = st.page_context(student.enrollment_id, attempt_guid, attempt_number, page.page_id, project.project_id, project.publication_id, self.section_id)
        self._emit("page_viewed", st.page_viewed(self.view_actor, self._id(), VIEW_HOST, context, page.page_id, page.sub_type, self.clock.micros(self.now)))
        self._advance(rng.uniform(20, 360))

        if page.video is not None and rng.random() < 0.55:
            self.watch_video(page.video, attempt_guid, attempt_number, page.page_id)
        if not page.activities:
            return
        page_json = st.page_members(attempt_guid, attempt_number, page.page_id)
        page_raw = 0.0
        page_out_of = 0.0
        for activity in page.activities:
            if not page.graded and rng.random() < 0.35:
                continue
            raw = self.attempt_activity(page, activity, page_json)
            page_raw += raw
            page_out_of += activity.out_of
        if page.graded:
            self._advance(rng.uniform(5, 60))
            self._emit("page_attempt", st.page_attempt(self.attempt_actor, self._id(), ATTEMPT_HOST, context, attempt_guid, page_raw, page_out_of, self.clock.seconds(self.now)))
        self._advance(rng.uniform(10, 120))

    def attempt_activity(self, page: Page, activity: Activity, page_json: str) -> float:
        """Submit attempts until all parts are right, the student gives up, or the page is graded.

        Returns the raw score of the last attempt.
        """
        rng = self.rng
        raw = 0.0
        for attempt_number in range(1, MAX_ATTEMPTS + 1):
            self._advance(rng.uniform(20, 240))
            timestamp = self.clock.seconds(self.now)
            activity_guid = self.sim._uuid()
            attempt_json = st.attempt_members(activity_guid, attempt_number, activity.activity_id, activity.revision_id)
            raw = 0.0
            for part in activity.parts:
                raw += self._part_attempt(activity, part, attempt_number, attempt_json, page_json, timestamp)
            line = st.activity_attempt(
                self.attempt_actor, self._id(), ATTEMPT_HOST, attempt_json, activity_guid, self.student.enrollment_id,
                page_json, self.scope_json, raw, activity.out_of, timestamp,
            )
            self._emit("activity_attempt", line)
            if page.graded or raw >= activity.out_of or rng.random() < 0.3:
                break
        return raw

    def _part_attempt(self, activity: Activity, part: Part, attempt_number: int, attempt_json: str, page_json: str, timestamp: str) -> float:
        rng = self.rng
        gap = activity.difficulty - self.student.ability
        hint_chance = 0.8 / (1.0 + math.exp(-(gap - 0.3)))
        hints = 0
        while hints < len(part.hint_ids) and rng.random() < hint_chance:
            hints += 1

        right_chance = 1.0 / (1.0 + math.exp(gap - 0.9 * (attempt_number - 1) - 0.4 * hints))
        draw = rng.random()
        if draw < 0.03:
            raw, response, feedback = 0.0, "null", part.no_answer_feedback
        elif draw < 0.03 + 0.97 * right_chance:
            raw, response, feedback = part.out_of, part.right_response, part.right_feedback
        elif part.out_of > 1.0 and rng.random() < 0.4:
            raw, response, feedback = part.out_of / 2, part.wrong_response, part.partial_feedback
        else:
            raw, response, feedback = 0.0, part.wrong_response, part.wrong_feedback
        if rng.random() < 0.05:
            feedback = "null"

        line = st.part_attempt(
            self.attempt_actor, self._id(), ATTEMPT_HOST, attempt_json, activity.objectives, self.student.enrollment_id,
            part.hints_json[hints], page_json, self.sim._uuid(), attempt_number, part.part_id, self.scope_json,
            self.session_id, feedback, response, raw, part.out_of, timestamp,
        )
        self._emit("part_attempt", line)
        return raw

    def watch_video(self, video: Video, page_attempt_guid: str | None, page_attempt_number: int | None, page_id: int) -> None:
        """Play a video: plays, seeks and pauses, and a completed statement when the end is reached.

        The course intro video has no page attempt, so both attempt members are null.
        """
        rng = self.rng
        project = self.project
        guid_json = "null" if page_attempt_guid is None else f'"{page_attempt_guid}"'
        number_json = "null" if page_attempt_number is None else str(page_attempt_number)
        context = st.video_context(video.content_element_id, str(self.student.enrollment_id), guid_json, number_json, project.project_id, project.publication_id, page_id, self.section_id)
        registration = f"{self.section_id}-{page_id}-{video.content_element_id}"
        length = video.length
        length_json = st.js_number(length)
        number = st.js_number
        segments: list[tuple[float, float]] = []
        position = 0.0 if rng.random() < 0.8 else rng.uniform(0, length * 0.5)

        emit = self._emit
        emit("video_played", st.video_played(self.view_actor, context, self._id(), video.url, registration, length_json, number(position), self.clock.micros(self.now)))
        for _ in range(6):
            watched = min(length - position, rng.expovariate(1.0 / (length * 0.45)) + 1.0)
            self._advance(watched)
            segments.append((position, position + watched))
            position += watched
            played = "[,]".join(f"{number(begin)}[.]{number(end)}" for begin, end in segments)
            progress = number(math.fsum(end - begin for begin, end in segments) / length)
            if position >= length - 0.5:
                emit("video_completed", st.video_completed(self.view_actor, context, self._id(), video.url, registration, length_json, played, progress, length_json, self.clock.micros(self.now)))
                return
            draw = rng.random()
            if draw < 0.3:
                target = max(0.0, position - rng.uniform(5, 60)) if rng.random() < 0.6 else min(length - 1.0, position + rng.uniform(5, 90))
                emit("video_seeked", st.video_seeked(self.view_actor, context, self._id(), video.url, registration, number(position), number(target), self.clock.micros(self.now)))
                position = target
                self._advance(rng.uniform(0.2, 2.0))
                emit("video_played", st.video_played(self.view_actor, context, self._id(), video.url, registration, length_json, number(position), self.clock.micros(self.now)))
                continue
            emit("video_paused", st.video_paused(self.view_actor, context, self._id(), video.url, registration, length_json, played, progress, number(position), self.clock.micros(self.now)))
            if draw < 0.7:
                return
            self._advance(rng.uniform(3, 90))
            emit("video_played", st.video_played(self.view_actor, context, self._id(), video.url, registration, length_json, number(position), self.clock.micros(self.now)))
        self._advance(rng.uniform(1, 30))

    def void_marked(self) -> None:
        """Append a voiding statement for each statement of this session marked to be voided."""
        for voided_id in self.voids:
            self._advance(self.rng.uniform(30, 900))
            self._last_id = self.sim._uuid()
            self._emit("voiding", st.voiding(self.attempt_actor, self._last_id, self.section_id, self.project.project_id, voided_id, self.clock.micros(self.now)))
