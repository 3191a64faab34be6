"""The summary and trends queries against real chDB, checked against the generated statements."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from statistics import fmean
from zoneinfo import ZoneInfo

from olap.core.analytics import Filters, run_query
from olap.plugins.trends.views import CARDS_QUERY

from .conftest import CASES, NEW_YORK_WEEK, SECTION, assert_rows, in_scope, local_date, run, selected
from .sample import NEW_YORK_LATE_EVENING

ATTEMPT_TYPES = ("activity_attempt", "page_attempt", "part_attempt")


def local_time_text(moment: datetime, time_zone: str) -> str:
    return moment.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%d %H:%M:%S")


def expected_event_types(events, time_zone: str) -> list[dict]:
    by_type = defaultdict(list)
    for event in events:
        by_type[event.event_type].append(event)
    rows = []
    for event_type, group in by_type.items():
        scores = [event.scaled_score for event in group if event.scaled_score is not None]
        rows.append({
            "event_type": event_type,
            "events": len(group),
            "users": len({event.user_id for event in group}),
            "first_time": local_time_text(min(event.timestamp for event in group), time_zone),
            "last_time": local_time_text(max(event.timestamp for event in group), time_zone),
            "avg_scaled_score": fmean(scores) if event_type in ATTEMPT_TYPES and scores else None,
            "completed_views": sum(1 for event in group if event.completion) if event_type == "page_viewed" else None,
        })
    return sorted(rows, key=lambda row: (-row["events"], row["event_type"]))


def expected_cards(events) -> dict:
    scores = [event.scaled_score for event in events if event.event_type == "activity_attempt"]
    return {
        "events": len(events),
        "active_students": len({event.user_id for event in events}),
        "page_views": sum(1 for event in events if event.event_type == "page_viewed"),
        "avg_scaled_score": fmean(scores),
    }


def local_bucket(event, unit: str, time_zone: str) -> date:
    day = local_date(event, time_zone)
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


def expected_trend(events, unit: str, time_zone: str) -> list[dict]:
    buckets = defaultdict(list)
    for event in events:
        buckets[(local_bucket(event, unit, time_zone), event.event_type)].append(event)
    return [
        {unit: bucket, "event_type": event_type, "events": len(group), "users": len({event.user_id for event in group})}
        for (bucket, event_type), group in sorted(buckets.items())
    ]


def test_summary_queries_match_sample(store, registry, sample):
    for case, scope, filters in CASES:
        events = selected(sample, scope, filters)

        result = run(store, registry, "summary_event_types", scope, filters)
        assert_rows(result.rows, expected_event_types(events, filters.time_zone), ("event_type",), case)

        cards = run_query(store, CARDS_QUERY, scope, filters, {})
        assert cards.state == "ok", f"{case}: {cards.error}"
        assert_rows(cards.rows, [expected_cards(events)], ("events",), f"{case} cards")

    new_york = run(store, registry, "summary_event_types", SECTION, NEW_YORK_WEEK)
    page_views = next(row for row in new_york.rows if row["event_type"] == "page_viewed")
    assert page_views["last_time"] == "2026-02-28 22:30:00"

    empty = run_query(store, CARDS_QUERY, SECTION, Filters(date(2025, 1, 1), date(2025, 1, 31), "UTC"), {})
    assert empty.rows == [{"events": 0, "active_students": 0, "page_views": 0, "avg_scaled_score": None}]


def test_trends_match_sample(store, registry, sample):
    for unit in ("day", "week", "month"):
        for case, scope, filters in CASES:
            result = run(store, registry, f"trends_{unit}", scope, filters)

            expected = expected_trend(selected(sample, scope, filters), unit, filters.time_zone)
            assert_rows(result.rows, expected, (unit, "event_type"), f"{case} per {unit}")

    months = run(store, registry, "trends_month", SECTION, NEW_YORK_WEEK)
    assert {row["month"] for row in months.rows} == {date(2026, 2, 1)}


def test_trends_day_counts_late_evening_on_local_day(store, registry, sample):
    feb_28, mar_1 = date(2026, 2, 28), date(2026, 3, 1)
    views = [event for event in sample.events if event.event_type == "page_viewed" and in_scope(event, SECTION)]
    late_view = next(event for event in views if event.timestamp == NEW_YORK_LATE_EVENING)

    new_york = run(store, registry, "trends_day", SECTION, Filters(feb_28, feb_28, "America/New_York"))
    utc = run(store, registry, "trends_day", SECTION, Filters(mar_1, mar_1, "UTC"))

    assert local_date(late_view, "America/New_York") == feb_28
    assert local_date(late_view, "UTC") == mar_1
    views_in_new_york = {row["day"]: row["events"] for row in new_york.rows if row["event_type"] == "page_viewed"}
    views_in_utc = {row["day"]: row["events"] for row in utc.rows if row["event_type"] == "page_viewed"}
    assert views_in_new_york == {feb_28: sum(1 for event in views if local_date(event, "America/New_York") == feb_28)}
    assert views_in_utc == {mar_1: sum(1 for event in views if local_date(event, "UTC") == mar_1)}
