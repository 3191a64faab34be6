"""The video query against real chDB, checked against the generated statements."""

from __future__ import annotations

from collections import defaultdict
from statistics import fmean

from .conftest import CASES, PROJECT, WHOLE_TERM, assert_rows, run, selected, top
from .sample import SHARED_VIDEO, VIDEO_VERB


def expected_videos(events, top_n: int) -> list[dict]:
    viewers = defaultdict(lambda: defaultdict(list))
    for event in events:
        if event.event_type == "video" and event.video_url:
            viewers[event.video_url][event.user_id].append(event)

    rows = []
    for video_url, statements_by_viewer in viewers.items():
        completed = 0
        highest_progress = []
        for statements in statements_by_viewer.values():
            progress = [event.video_progress for event in statements if event.video_progress is not None]
            if any(event.verb_id == VIDEO_VERB + "completed" for event in statements) or any(value >= 0.8 for value in progress):
                completed += 1
            if progress:
                highest_progress.append(max(progress))
        rows.append({
            "video_url": video_url,
            "plays": sum(1 for statements in statements_by_viewer.values() for event in statements if event.verb_id == VIDEO_VERB + "played"),
            "viewers": len(statements_by_viewer),
            "completion_rate": completed / len(statements_by_viewer),
            "avg_progress": fmean(highest_progress) if highest_progress else None,
        })
    rows.sort(key=lambda row: (-row["plays"], row["video_url"]))
    return top(rows, top_n)


def test_videos_match_sample(store, registry, sample):
    for case, scope, filters in CASES:
        result = run(store, registry, "video_by_url", scope, filters)

        assert_rows(result.rows, expected_videos(selected(sample, scope, filters), filters.top_n), ("video_url",), case)


def test_video_completion_counts_completed_statement_below_threshold(store, registry, sample):
    events = selected(sample, PROJECT, WHOLE_TERM)
    early_completions = [event for event in events if event.verb_id == VIDEO_VERB + "completed" and event.video_progress < 0.8]
    assert early_completions, "the sample must hold a completed statement with progress below 0.8"

    result = run(store, registry, "video_by_url", PROJECT, WHOLE_TERM)

    expected = expected_videos(events, 0)
    assert {row["video_url"]: row["completion_rate"] for row in result.rows} == {row["video_url"]: row["completion_rate"] for row in expected}
    shared = next(row for row in result.rows if row["video_url"] == SHARED_VIDEO)
    assert shared["viewers"] == len({event.user_id for event in events if event.video_url == SHARED_VIDEO})
