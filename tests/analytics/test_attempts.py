"""The attempts query against real chDB, checked against the generated statements."""

from __future__ import annotations

from collections import defaultdict
from statistics import fmean

from .conftest import CASES, OTHER_PROJECT, PROJECT, TOP_THREE, WHOLE_TERM, assert_rows, run, selected, top
from .sample import TIED_ACTIVITIES

NO_NUMBER = 2**32 - 1  # the SQL sorts an attempt without a number after every numbered one


def first_attempt(attempts):
    return min(attempts, key=lambda event: (event.activity_attempt_number if event.activity_attempt_number is not None else NO_NUMBER, event.timestamp))


def expected_attempts(events, top_n: int) -> list[dict]:
    attempts_by_student = defaultdict(lambda: defaultdict(list))
    hints = defaultdict(int)
    for event in events:
        if event.activity_id is None:
            continue
        if event.event_type == "activity_attempt" and event.scaled_score is not None:
            attempts_by_student[event.activity_id][event.user_id].append(event)
        elif event.event_type == "part_attempt":
            hints[event.activity_id] += event.hints_requested or 0

    rows = []
    for activity_id, students in attempts_by_student.items():
        attempt_count = sum(len(attempts) for attempts in students.values())
        success_numbers = []
        for attempts in students.values():
            numbers = [event.activity_attempt_number for event in attempts if event.scaled_score >= 1 and event.activity_attempt_number is not None]
            if numbers:
                success_numbers.append(min(numbers))
        rows.append({
            "activity_id": activity_id,
            "attempts": attempt_count,
            "students": len(students),
            "first_attempt_correct_rate": sum(1 for attempts in students.values() if first_attempt(attempts).scaled_score >= 1) / len(students),
            "students_succeeded": len(success_numbers),
            "attempts_until_success": fmean(success_numbers) if success_numbers else None,
            "hints": hints[activity_id],
            "hints_per_attempt": hints[activity_id] / attempt_count,
        })
    rows.sort(key=lambda row: (-row["attempts"], row["activity_id"]))
    return top(rows, top_n)


def test_attempts_by_activity_match_sample(store, registry, sample):
    for case, scope, filters in CASES:
        result = run(store, registry, "attempts_by_activity", scope, filters)

        assert_rows(result.rows, expected_attempts(selected(sample, scope, filters), filters.top_n), ("activity_id",), case)


def test_attempts_top_n_breaks_ties_by_activity_id(store, registry):
    result = run(store, registry, "attempts_by_activity", OTHER_PROJECT, TOP_THREE)

    assert [row["activity_id"] for row in result.rows] == list(TIED_ACTIVITIES[:3])
    assert [row["attempts"] for row in result.rows] == [25, 25, 25]


def test_attempts_show_imported_activity_titles(store, registry):
    titles = {("activity", 318001): "Balancing equations"}

    result = run(store, registry, "attempts_by_activity", PROJECT, WHOLE_TERM, titles)

    titles_by_id = {row["activity_id"]: row["activity_title"] for row in result.rows}
    assert titles_by_id[318001] == "Balancing equations"
    assert titles_by_id[318002] == "Activity 318002"
