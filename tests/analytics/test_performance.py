"""The performance queries against real chDB, checked against the generated statements."""

from __future__ import annotations

from collections import defaultdict
from statistics import fmean

from .conftest import CASES, SECTION, WHOLE_TERM, assert_rows, run, selected, top

BUCKET_LABELS = {0: "0-20 %", 21: "21-40 %", 41: "41-60 %", 61: "61-80 %", 81: "81-100 %"}


def bucket_start(scaled_score: float) -> int:
    for upper, start in ((0.2, 0), (0.4, 21), (0.6, 41), (0.8, 61)):
        if scaled_score <= upper:
            return start
    return 81


def expected_buckets(events) -> list[dict]:
    hints_by_attempt: dict[str, int] = defaultdict(int)
    for event in events:
        if event.event_type == "part_attempt" and event.activity_attempt_guid:
            hints_by_attempt[event.activity_attempt_guid] += event.hints_requested or 0
    buckets = defaultdict(list)
    for event in events:
        if event.event_type == "activity_attempt" and event.scaled_score is not None:
            buckets[bucket_start(event.scaled_score)].append(event)
    return [
        {
            "bucket_start": start,
            "score_bucket": BUCKET_LABELS[start],
            "attempts": len(attempts),
            "students": len({event.user_id for event in attempts}),
            "avg_hints": fmean(hints_by_attempt.get(event.activity_attempt_guid, 0) for event in attempts),
        }
        for start, attempts in sorted(buckets.items())
    ]


def expected_activity_scores(events, top_n: int) -> list[dict]:
    by_activity = defaultdict(list)
    for event in events:
        if event.event_type == "activity_attempt" and event.activity_id is not None and event.scaled_score is not None:
            by_activity[event.activity_id].append(event)
    rows = [
        {
            "activity_id": activity_id,
            "attempts": len(attempts),
            "students": len({event.user_id for event in attempts}),
            "avg_scaled_score": fmean(event.scaled_score for event in attempts),
            "success_rate": sum(1 for event in attempts if event.scaled_score >= 1) / len(attempts),
        }
        for activity_id, attempts in by_activity.items()
    ]
    rows.sort(key=lambda row: (-row["attempts"], row["activity_id"]))
    return top(rows, top_n)


def test_score_buckets_match_sample(store, registry, sample):
    for case, scope, filters in CASES:
        result = run(store, registry, "performance_score_buckets", scope, filters)

        assert_rows(result.rows, expected_buckets(selected(sample, scope, filters)), ("bucket_start",), case)


def test_score_buckets_put_boundaries_in_lower_bucket(store, registry, sample):
    events = selected(sample, SECTION, WHOLE_TERM)
    scores = {event.scaled_score for event in events if event.event_type == "activity_attempt"}
    assert {0.2, 0.4, 0.6, 0.8, 1.0} <= scores, "the sample must hold every bucket boundary"

    result = run(store, registry, "performance_score_buckets", SECTION, WHOLE_TERM)

    attempts = {row["score_bucket"]: row["attempts"] for row in result.rows}
    at_or_below_20 = sum(1 for event in events if event.event_type == "activity_attempt" and event.scaled_score <= 0.2)
    assert attempts["0-20 %"] == at_or_below_20
    assert list(attempts) == list(BUCKET_LABELS.values())


def test_activity_scores_match_sample(store, registry, sample):
    for case, scope, filters in CASES:
        result = run(store, registry, "performance_activity_scores", scope, filters)

        expected = expected_activity_scores(selected(sample, scope, filters), filters.top_n)
        assert_rows(result.rows, expected, ("activity_id",), case)
        assert all(row["activity_title"] == f"Activity {row['activity_id']}" for row in result.rows), case
