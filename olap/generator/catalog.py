"""Course catalog of a generated data set: projects, sections, pages, activities, videos and students.

Everything is drawn from one random.Random, so the same seed gives the same catalog.
The import documents follow the JSON format of olap.core.importer.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from olap.generator import statements, titles

TIME_ZONES = (
    "America/New_York",
    "Europe/Paris",
    "Asia/Tokyo",
    "UTC",
    "America/Los_Angeles",
    "Europe/London",
    "America/Chicago",
    "Australia/Sydney",
)
# Share of pages that carry an embedded video, are graded, or use the adaptive (advanced) editor.
VIDEO_SHARE = 0.35
GRADED_SHARE = 0.25
ADVANCED_SHARE = 0.1
# Exponent of the Zipf law that spreads page views: the page of popularity rank r gets
# weight 1 / r**ZIPF_EXPONENT.
ZIPF_EXPONENT = 1.1
BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
MEDIA_HOST = "https://media.example.edu"


@dataclass(frozen=True, slots=True)
class Part:
    """One scored part of an activity: its Torus part id, maximum score, hint ids and answers."""

    part_id: str
    out_of: float
    hint_ids: tuple[str, ...]
    # JSON text of the hints_requested list after 0, 1, 2, … hints, one entry per count.
    hints_json: tuple[str, ...]
    # JSON text of the `result.response` object of a correct and of a wrong answer, and
    # of the feedback extension Torus sends for a right, wrong, half-right or empty answer.
    right_response: str
    wrong_response: str
    right_feedback: str
    wrong_feedback: str
    partial_feedback: str
    no_answer_feedback: str


@dataclass(frozen=True, slots=True)
class Activity:
    """An activity on a page. `difficulty` is on the same logit scale as a student's ability."""

    activity_id: int
    revision_id: int
    title: str
    difficulty: float
    parts: tuple[Part, ...]
    # JSON text of the attached objective ids, for example "[40871,40877]".
    objectives: str
    out_of: float


@dataclass(frozen=True, slots=True)
class Video:
    """A video embedded in a page; `content_element_id` is the Torus content element id."""

    url: str
    length: float
    content_element_id: str


@dataclass(frozen=True, slots=True)
class Page:
    page_id: int
    title: str
    # Week of the term (0-based) in which the syllabus schedules this page.
    week: int
    popularity: float
    sub_type: str
    graded: bool
    activities: tuple[Activity, ...]
    video: Video | None


@dataclass(slots=True)
class Project:
    project_id: int
    publication_id: int
    title: str
    slug: str
    pages: list[Page] = field(default_factory=list)
    intro_video: Video | None = None


@dataclass(frozen=True, slots=True)
class Section:
    section_id: int
    project_index: int
    title: str
    time_zone: str
    start_date: date
    end_date: date


@dataclass(frozen=True, slots=True)
class Student:
    """A learner enrolled in exactly one section. `engagement` weighs how often they study."""

    user_id: int
    enrollment_id: int
    section_index: int
    ability: float
    engagement: float


@dataclass
class Catalog:
    projects: list[Project]
    sections: list[Section]
    students: list[Student]
    start: date
    weeks: int

    def import_documents(self) -> dict[str, list[dict]]:
        """Rows for projects.json, sections.json and resources.json in the importer's format."""
        resources = []
        for project in self.projects:
            for page in project.pages:
                resources.append({"project_id": project.project_id, "kind": "page", "resource_id": page.page_id, "title": page.title})
                for activity in page.activities:
                    resources.append({"project_id": project.project_id, "kind": "activity", "resource_id": activity.activity_id, "title": activity.title})
        return {
            "projects": [{"id": project.project_id, "title": project.title} for project in self.projects],
            "sections": [
                {
                    "id": section.section_id,
                    "project_id": self.projects[section.project_index].project_id,
                    "title": section.title,
                    "time_zone": section.time_zone,
                    "start_date": section.start_date.isoformat(),
                    "end_date": section.end_date.isoformat(),
                }
                for section in self.sections
            ],
            "resources": resources,
        }


def build_catalog(rng: random.Random, projects: int, sections: int, students: int, start: date, weeks: int) -> Catalog:
    """Draw a catalog; sections are dealt to projects in turn and students to sections in turn."""
    course_list = build_projects(rng, projects, weeks)
    end = start + timedelta(days=weeks * 7 - 1)
    zones = list(TIME_ZONES)
    rng.shuffle(zones)
    section_list = []
    for index in range(sections):
        project_index = index % projects
        course = course_list[project_index]
        letter = chr(ord("A") + index // projects % 26)
        section_list.append(
            Section(2000 + 7 * index + rng.randrange(7), project_index, f"{course.title} {start.year} Section {letter}", zones[index % len(zones)], start, end)
        )

    user_ids = rng.sample(range(40000, 40000 + max(students * 20, 1000)), students)
    student_list = [
        Student(user_id, 770000 + index, index % sections, rng.gauss(0.4, 1.0), rng.lognormvariate(0.0, 0.8))
        for index, user_id in enumerate(user_ids)
    ]
    return Catalog(course_list, section_list, student_list, start, weeks)


def build_projects(rng: random.Random, count: int, weeks: int) -> list[Project]:
    """Draw projects with their pages, activities and videos.

    Objectives, pages and activities take their ids from one counter, so a resource id is
    unique across projects, as it is in Torus.
    """
    courses = rng.sample(titles.COURSES, k=min(count, len(titles.COURSES)))
    projects = []
    next_resource_id = 40000
    for index in range(count):
        course = courses[index % len(courses)]
        round_number = index // len(courses)
        title = course.title if round_number == 0 else f"{course.title} {round_number + 1}"
        project = Project(300 + 3 * index, 1400 + 11 * index + rng.randrange(11), title, course.slug)
        page_count = rng.randint(20, 60)
        objective_count = max(3, page_count // 4)
        objective_ids = list(range(next_resource_id, next_resource_id + objective_count))
        next_resource_id += objective_count
        ranks = list(range(2, page_count + 1))
        rng.shuffle(ranks)
        ranks.insert(0, 1)  # The course introduction is the most viewed page.
        for position in range(page_count):
            page, next_resource_id = build_page(rng, course, next_resource_id, position, page_count, weeks, ranks[position], objective_ids)
            project.pages.append(page)
        first_page = project.pages[0].page_id
        project.intro_video = Video(f"{MEDIA_HOST}/{course.slug}/welcome.mp4", round(rng.uniform(60, 180), 2), str(first_page))
        projects.append(project)
    return projects


def build_page(rng, course, page_id, position, page_count, weeks, rank, objective_ids) -> tuple[Page, int]:
    """Draw one page and its activities, which take the ids after `page_id`; returns the page and the next free id."""
    week = min(weeks - 1, position * weeks // page_count)
    topic = course.topics[position % len(course.topics)]
    if position == 0:
        title = f"Welcome to {course.title}"
    else:
        title = rng.choice(titles.PAGE_PATTERNS).format(topic=topic, unit=1 + week // 3)

    activities = []
    activity_count = 0 if position == 0 else rng.choice((0, 1, 1, 2, 2, 3, 4, 5))
    for number in range(activity_count):
        activities.append(build_activity(rng, course, topic, page_id + 1 + number, objective_ids))

    video = None
    if position > 0 and rng.random() < VIDEO_SHARE:
        slug = titles.slugify(topic)
        video = Video(f"{MEDIA_HOST}/{course.slug}/{slug}-{page_id}.mp4", round(rng.uniform(90, 900), 6), str(rng.randrange(10**8, 4 * 10**9)))
    page = Page(
        page_id,
        title,
        week,
        1.0 / rank**ZIPF_EXPONENT,
        "advanced" if rng.random() < ADVANCED_SHARE else "basic",
        bool(activities) and rng.random() < GRADED_SHARE,
        tuple(activities),
        video,
    )
    return page, page_id + 1 + activity_count


def build_activity(rng, course, topic, activity_id, objective_ids) -> Activity:
    part_count = rng.choice((1, 1, 1, 2, 2, 3))
    parts = []
    for number in range(part_count):
        part_id = "1" if number == 0 and rng.random() < 0.5 else str(rng.randrange(10**8, 4 * 10**9))
        out_of = rng.choice((1.0, 1.0, 1.0, 2.0, 3.0))
        hint_ids = tuple(str(rng.randrange(10**8, 4 * 10**9)) for _ in range(rng.choice((0, 1, 2, 2, 3))))
        right, wrong = rng.choice(course.answers)
        parts.append(
            Part(
                part_id,
                out_of,
                hint_ids,
                tuple(compact_json(list(hint_ids[:count])) for count in range(len(hint_ids) + 1)),
                compact_json({"input": right}),
                compact_json({"input": wrong}),
                draw_feedback(rng, rng.choice(titles.RIGHT_FEEDBACK)),
                draw_feedback(rng, rng.choice(titles.WRONG_FEEDBACK)),
                draw_feedback(rng, rng.choice(titles.PARTIAL_FEEDBACK)),
                draw_feedback(rng, titles.NO_ANSWER_FEEDBACK),
            )
        )
    attached = rng.sample(objective_ids, k=rng.choice((0, 1, 1, 2)))
    return Activity(
        activity_id,
        activity_id * 4 + rng.randrange(4),
        rng.choice(titles.ACTIVITY_PATTERNS).format(topic=topic),
        rng.gauss(0.0, 1.0),
        tuple(parts),
        compact_json(attached),
        math.fsum(part.out_of for part in parts),
    )


def compact_json(value) -> str:
    """JSON text without spaces, keeping non-ASCII characters, as Jason writes it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def draw_feedback(rng: random.Random, text: str) -> str:
    """Draw the feedback extension of one answer: a rich-text paragraph with random ids."""
    content_id = "".join(rng.choice(BASE36) for _ in range(15))
    return statements.feedback(compact_json(text), content_id, str(rng.randrange(10**8, 4 * 10**9)))
