"""The one declarative map from an xAPI statement to a raw_events row.

Both the Python/pyarrow transform (olap.ingest.transform) and the ClickHouse SQL
expressions for backfills (olap.ingest.sql) are built from the declarations in this
module, so a column is added or changed here and nowhere else.

A source is a path of JSON keys from the statement root. A column with several sources
takes the first one whose value is present and not JSON null, then converts that value
by the column's kind (see docs/ingestion.md for the exact conversion rules).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Path = tuple[str, ...]

# Conversion kinds; docs/ingestion.md has the full table.
# text: a string as is, an integer in decimal, anything else ''.
# uint64/uint32: a non-negative integer, an integral float below 2**53, or a string of
#   1-20 ASCII digits, each in range of the type. Anything else is NULL (0 when not nullable).
# float: a number, or a string in JSON number syntax. Anything else, or infinity, is NULL.
# bool: true/false, the numbers 1/0, the strings "true"/"false"/"1"/"0" in any ASCII case.
# count: an array counts as its length, anything else converts as uint32.
# json_text: a string as is, null or missing as '', anything else as compact JSON text.
Kind = Literal["text", "uint64", "uint32", "float", "bool", "count", "json_text"]

OLI_PREFIXES = ("http://oli.cmu.edu/extensions/", "https://oli.cmu.edu/extensions/")
VIDEO_PREFIX = "https://w3id.org/xapi/video/extensions/"
VERB_COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
VERB_VOIDED = "http://adlnet.gov/expapi/verbs/voided"
VERB_VIDEO_PLAYED = "https://w3id.org/xapi/video/verbs/played"


@dataclass(frozen=True)
class Column:
    """One raw_events column filled from statement values.

    `sources` are tried in order; the first value present and not null is converted by
    `kind`. `only_for` names a condition (see CONDITIONS) outside of which the column
    keeps its empty value.
    """

    name: str
    kind: Kind
    sources: tuple[Path, ...]
    nullable: bool = True
    only_for: str = ""


@dataclass(frozen=True)
class EventTypeRule:
    """Statements whose verb is in `verbs` and, when `object_types` is set, whose
    `object.definition.type` is in it, get `event_type`. The first matching rule wins."""

    event_type: str
    verbs: frozenset[str]
    object_types: frozenset[str] = field(default_factory=frozenset)


def context_oli(name: str) -> tuple[Path, ...]:
    """Paths of an OLI context extension, under the http:// key first, then https://."""
    return tuple(("context", "extensions", prefix + name) for prefix in OLI_PREFIXES)


def result_oli(name: str) -> tuple[Path, ...]:
    """Paths of an OLI result extension, under the http:// key first, then https://."""
    return tuple(("result", "extensions", prefix + name) for prefix in OLI_PREFIXES)


def oli_iris(name: str) -> frozenset[str]:
    """The http:// and https:// forms of an OLI extension IRI."""
    return frozenset(prefix + name for prefix in OLI_PREFIXES)


def context_video(name: str) -> Path:
    return ("context", "extensions", VIDEO_PREFIX + name)


def result_video(name: str) -> Path:
    return ("result", "extensions", VIDEO_PREFIX + name)


VIDEO_VERBS = frozenset(
    [f"https://w3id.org/xapi/video/verbs/{name}" for name in ("played", "paused", "seeked", "completed")]
    + ["http://adlnet.gov/expapi/verbs/experienced"]
)

EVENT_TYPE_RULES: tuple[EventTypeRule, ...] = (
    EventTypeRule("video", VIDEO_VERBS),
    EventTypeRule("activity_attempt", frozenset([VERB_COMPLETED]), oli_iris("activity_attempt")),
    EventTypeRule("page_attempt", frozenset([VERB_COMPLETED]), oli_iris("page_attempt")),
    EventTypeRule("page_viewed", frozenset(["http://id.tincanapi.com/verb/viewed"]), oli_iris("types/page")),
    EventTypeRule("part_attempt", frozenset([VERB_COMPLETED]), frozenset(["http://adlnet.gov/expapi/activities/question"])),
)
UNKNOWN_EVENT_TYPE = "unknown"

VERB_ID_PATH: Path = ("verb", "id")
OBJECT_TYPE_PATH: Path = ("object", "definition", "type")
STATEMENT_ID_PATH: Path = ("id",)
# A statement's time is its `timestamp`; a statement without one falls back to `stored`.
TIMESTAMP_PATHS: tuple[Path, ...] = (("timestamp",), ("stored",))
# A line becomes a row only when each of these is a JSON object.
REQUIRED_OBJECTS: tuple[tuple[str, str], ...] = (("actor", "missing_actor"), ("verb", "missing_verb"), ("object", "missing_object"))

# Conditions a column can be limited to, each a test on the verb, object and event type.
CONDITIONS = {
    "video": "event_type is video",
    "video_played": f"verb id is {VERB_VIDEO_PLAYED}",
    "voiding": f"verb id is {VERB_VOIDED} and object.objectType is StatementRef",
}

COLUMNS: tuple[Column, ...] = (
    Column("event_version", "text", (("version",),), nullable=False),
    Column(
        "user_id",
        "text",
        (("actor", "account", "name"), ("actor", "mbox"), ("actor", "mbox_sha1sum"), ("actor", "openid")),
        nullable=False,
    ),
    Column("home_page", "text", (("actor", "account", "homePage"),), nullable=False),
    Column("section_id", "uint64", context_oli("section_id"), nullable=False),
    Column("project_id", "uint64", context_oli("project_id"), nullable=False),
    Column("publication_id", "uint64", context_oli("publication_id")),
    Column("enrollment_id", "uint64", context_oli("enrollment_id")),
    Column("session_id", "text", context_oli("session_id"), nullable=False),
    Column("verb_id", "text", (VERB_ID_PATH,), nullable=False),
    # Video statements name their page `resource_id`; older ones and every other kind `page_id`.
    Column("page_id", "uint64", context_oli("page_id") + context_oli("resource_id")),
    Column("page_sub_type", "text", (("object", "definition", "subType"),), nullable=False),
    Column("activity_id", "uint64", context_oli("activity_id")),
    Column("activity_revision_id", "uint64", context_oli("activity_revision_id")),
    Column("part_id", "text", context_oli("part_id"), nullable=False),
    Column("content_element_id", "text", context_oli("content_element_id"), nullable=False),
    Column("activity_attempt_guid", "text", context_oli("activity_attempt_guid"), nullable=False),
    Column("page_attempt_guid", "text", context_oli("page_attempt_guid"), nullable=False),
    Column("part_attempt_guid", "text", context_oli("part_attempt_guid"), nullable=False),
    Column("activity_attempt_number", "uint32", context_oli("activity_attempt_number")),
    Column("page_attempt_number", "uint32", context_oli("page_attempt_number")),
    Column("part_attempt_number", "uint32", context_oli("part_attempt_number")),
    Column("hints_requested", "count", context_oli("hints_requested")),
    Column("attached_objectives", "json_text", context_oli("attached_objectives"), nullable=False),
    Column("response", "json_text", (("result", "response"),), nullable=False),
    Column("feedback", "json_text", result_oli("feedback"), nullable=False),
    Column("score", "float", (("result", "score", "raw"),)),
    Column("out_of", "float", (("result", "score", "max"),)),
    Column("scaled_score", "float", (("result", "score", "scaled"),)),
    Column("success", "bool", (("result", "success"),)),
    Column("completion", "bool", (("result", "completion"),)),
    Column("video_url", "text", (("object", "id"),), nullable=False, only_for="video"),
    Column("video_time", "float", (result_video("time"),)),
    # Torus sends the length as a context extension, some players with seeks as a result one.
    Column("video_length", "float", (context_video("length"), result_video("length"))),
    Column("video_progress", "float", (result_video("progress"),)),
    Column("video_played_segments", "text", (result_video("played-segments"),), nullable=False),
    # Torus's video bundle calls the time of a played statement its play time.
    Column("video_play_time", "float", (result_video("time"),), only_for="video_played"),
    Column("video_seek_from", "float", (result_video("time-from"),)),
    Column("video_seek_to", "float", (result_video("time-to"),)),
    Column("voided_event_id", "text", (("object", "id"),), nullable=False, only_for="voiding"),
)

# Column order of the rows both transforms produce. inserted_at is left to the table default.
ROW_COLUMNS: tuple[str, ...] = (
    ("event_id", "source_file", "source_etag", "source_line", "timestamp", "event_type")
    + tuple(column.name for column in COLUMNS)
    + ("payload_hash", "raw")
)
REJECT_COLUMNS: tuple[str, ...] = ("source_file", "source_etag", "source_line", "reason", "detail", "event_id", "raw_size", "raw")

DEFAULT_MAX_LINE_BYTES = 1024 * 1024
# A rejected line keeps at most this many bytes of its text; raw_size keeps its full size.
REJECT_KEEP_BYTES = 64 * 1024

# Reject reasons and the fixed detail sentence stored with each.
REJECT_DETAILS = {
    "line_too_large": "the line is larger than the line size limit",
    "invalid_utf8": "the line is not valid UTF-8",
    "empty_line": "the line is empty",
    "invalid_json": "the line is not valid JSON",
    "not_an_object": "the line is JSON but not an object",
    "missing_actor": "the statement has no actor object",
    "missing_verb": "the statement has no verb object with a non-empty string id",
    "missing_object": "the statement has no object",
    "missing_timestamp": "the statement has neither timestamp nor stored",
    "invalid_timestamp": "the timestamp is not an ISO 8601 date-time between 1900 and 2299",
    "conflicting_duplicate": "another statement with this id and a different payload was ingested first",
}


def event_type_rules_by_object_type() -> dict[str, tuple[EventTypeRule, ...]]:
    """Group the rules that need an object type by verb, for a fast lookup per row."""
    grouped: dict[str, list[EventTypeRule]] = {}
    for rule in EVENT_TYPE_RULES:
        for verb in rule.verbs:
            grouped.setdefault(verb, []).append(rule)
    return {verb: tuple(rules) for verb, rules in grouped.items()}
