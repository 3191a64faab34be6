"""Generated statements have the Torus shapes and serialization, ingest cleanly, and look like a term."""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from olap.ingest import transform_lines
from tests.generator.conftest import OLI, kind_of

ATTRIBUTIONS = OLI + "experiment_attributions"
WHOLE_SECOND_KINDS = {"part_attempt", "activity_attempt", "page_attempt"}


def shape(value, path: str = "") -> frozenset[tuple[str, str]]:
    """(path, JSON type) of every member, with int and float both called number."""
    if isinstance(value, dict):
        members = set()
        for key, member in value.items():
            if key == ATTRIBUTIONS:
                continue
            members |= shape(member, f"{path}/{key}")
        return frozenset(members | {(path, "object")})
    if isinstance(value, list):
        members = {(path, "array")}
        for item in value:
            members |= shape(item, path + "[]")
        return frozenset(members)
    kind = {bool: "boolean", int: "number", float: "number", str: "string", type(None): "null"}[type(value)]
    return frozenset({(path, kind)})


def test_shapes_match_torus_profile(parsed_term_set, shared_data):
    profile = [json.loads(line) for line in (shared_data / "xapi" / "torus-profile.jsonl").read_text().splitlines()]
    allowed = defaultdict(set)
    required = {}
    for statement in profile:
        kind = kind_of(statement)
        allowed[kind] |= shape(statement)
        required[kind] = required.get(kind, shape(statement)) & shape(statement)
    # Every video kind sends null page attempt members for the course intro video; the
    # profile shows that only for played, paused and completed.
    for kind in ("video_played", "video_paused", "video_seeked", "video_completed"):
        allowed[kind] |= {(f"/context/extensions/{OLI}page_attempt_{name}", "null") for name in ("guid", "number")}
        required[kind] -= {(f"/context/extensions/{OLI}page_attempt_guid", "string"), (f"/context/extensions/{OLI}page_attempt_number", "number")}

    for statement in parsed_term_set:
        kind = kind_of(statement)
        if kind == "voiding":
            continue
        members = shape({key: value for key, value in statement.items() if key != "id"})
        assert members <= allowed[kind], f"{kind} members that no profile line has: {sorted(members - allowed[kind])}"
        assert members >= required[kind], f"{kind} lacks members every profile line has: {sorted(required[kind] - members)}"


def test_lines_use_torus_serialization(term_set):
    _, lines = term_set

    for line in lines[:5000]:
        assert json.dumps(json.loads(line), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() == line


def test_timestamp_precision_follows_torus(parsed_term_set):
    for statement in parsed_term_set:
        kind = kind_of(statement)
        timestamp = statement["timestamp"]
        if kind in WHOLE_SECOND_KINDS:
            assert len(timestamp) == len("2026-02-10T15:42:07Z"), timestamp
        else:
            assert len(timestamp) == len("2026-02-10T15:21:14.031552Z"), timestamp


def test_torus_quirks_are_kept(parsed_term_set):
    attempts = [statement for statement in parsed_term_set if kind_of(statement) in WHOLE_SECOND_KINDS]
    views = [statement for statement in parsed_term_set if kind_of(statement) == "page_viewed"]

    assert all(isinstance(statement["actor"]["account"]["name"], int) for statement in parsed_term_set)
    assert all(statement["object"]["id"].endswith("}") for statement in attempts + views)
    assert {statement["object"]["definition"]["subType"] for statement in views} == {"basic", "advanced"}
    assert {statement["actor"]["account"]["homePage"] for statement in views} == {"lms.example.edu"}
    assert any(statement["context"]["extensions"][OLI + "hints_requested"] for statement in attempts if kind_of(statement) == "part_attempt")
    assert any(statement["result"]["response"] is None for statement in attempts if kind_of(statement) == "part_attempt")


def test_every_line_ingests_without_rejects(term_set):
    summary, lines = term_set

    transformed = transform_lines(lines, "generated.jsonl")

    assert transformed.rejects.num_rows == 0
    assert transformed.rows.num_rows == summary.lines
    event_types = Counter(transformed.rows.column("event_type").to_pylist())
    video = sum(count for kind, count in summary.kinds.items() if kind.startswith("video_"))
    voiding_copies = event_types["unknown"]
    assert event_types["video"] >= video
    assert voiding_copies >= summary.voiding
    assert set(event_types) == {"page_viewed", "part_attempt", "activity_attempt", "page_attempt", "video", "unknown"}
    voided = [value for value in transformed.rows.column("voided_event_id").to_pylist() if value]
    assert len(set(voided)) == summary.voided


def test_page_views_are_skewed(parsed_term_set):
    views = Counter(statement["context"]["extensions"][OLI + "page_id"] for statement in parsed_term_set if kind_of(statement) == "page_viewed")
    counts = sorted(views.values(), reverse=True)

    assert counts[0] > 5 * statistics.median(counts)
    assert sum(counts[: len(counts) // 10]) > 0.3 * sum(counts)


def test_activity_peaks_early_in_week_and_evening(term_set, parsed_term_set):
    summary, _ = term_set
    section_rows = json.loads(Path(summary.catalog_files[1]).read_text())
    sections = {row["id"]: ZoneInfo(row["time_zone"]) for row in section_rows}
    weekdays = Counter()
    hours = Counter()
    for statement in parsed_term_set:
        if kind_of(statement) != "page_viewed":
            continue
        moment = datetime.fromisoformat(statement["timestamp"].replace("Z", "+00:00"))
        local = moment.astimezone(sections[statement["context"]["extensions"][OLI + "section_id"]])
        weekdays[local.weekday()] += 1
        hours[local.hour] += 1

    assert weekdays[0] > 1.5 * weekdays[5]
    assert sum(hours[hour] for hour in range(19, 23)) > 5 * sum(hours[hour] for hour in range(2, 6))


def test_term_bounds_timestamps(term_set, parsed_term_set):
    summary, _ = term_set
    start = datetime.fromisoformat(summary.start).replace(tzinfo=timezone.utc) - timedelta(days=1)
    end = datetime.fromisoformat(summary.end).replace(tzinfo=timezone.utc) + timedelta(days=2)

    moments = [datetime.fromisoformat(statement["timestamp"].replace("Z", "+00:00")) for statement in parsed_term_set]

    assert min(moments) >= start
    assert max(moments) <= end


def test_hard_activities_need_more_hints_and_score_lower(parsed_term_set):
    by_activity = defaultdict(lambda: {"hints": [], "scaled": []})
    for statement in parsed_term_set:
        if kind_of(statement) != "part_attempt":
            continue
        extensions = statement["context"]["extensions"]
        if extensions[OLI + "part_attempt_number"] != 1:
            continue
        record = by_activity[extensions[OLI + "activity_id"]]
        record["hints"].append(len(extensions[OLI + "hints_requested"]))
        record["scaled"].append(statement["result"]["score"]["scaled"])
    activities = [(statistics.mean(record["scaled"]), statistics.mean(record["hints"])) for record in by_activity.values() if len(record["scaled"]) >= 20]
    activities.sort()
    hardest = activities[: len(activities) // 4]
    easiest = activities[-(len(activities) // 4):]

    assert statistics.mean(hints for _, hints in hardest) > statistics.mean(hints for _, hints in easiest)
    assert statistics.mean(score for score, _ in hardest) < 0.6 < statistics.mean(score for score, _ in easiest)


def test_failed_activities_are_retried(parsed_term_set):
    numbers = Counter(statement["context"]["extensions"][OLI + "activity_attempt_number"] for statement in parsed_term_set if kind_of(statement) == "activity_attempt")

    assert numbers[1] > numbers[2] > numbers[3] > 0


def test_video_progress_sums_played_segments(parsed_term_set):
    video = "https://w3id.org/xapi/video/extensions/"
    reports = [statement for statement in parsed_term_set if kind_of(statement) in ("video_paused", "video_completed")]

    assert reports
    for statement in reports:
        result = statement["result"]["extensions"]
        segments = [segment.split("[.]") for segment in result[video + "played-segments"].split("[,]")]
        played = sum(float(end) - float(begin) for begin, end in segments)
        assert abs(result[video + "progress"] - played / statement["context"]["extensions"][video + "length"]) < 1e-4
        if kind_of(statement) == "video_completed":
            assert result[video + "time"] == statement["context"]["extensions"][video + "length"]
