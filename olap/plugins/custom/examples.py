"""Starting queries of the Custom tab: a useful SQL query and its chart for each kind of scope."""

from __future__ import annotations

import json

SECTION_SQL = """-- Events and active students per day in this section ({time_zone}).
-- `events` holds only this section's rows; olap adds the filter when it runs.
SELECT
    toDate(timestamp, '{time_zone}') AS day,
    event_type,
    count() AS events,
    uniqExact(user_id) AS students
FROM events
GROUP BY day, event_type
ORDER BY day, event_type
"""

PROJECT_SQL = """-- Events and active students per section of this project.
-- `events` holds only this project's rows; olap adds the filter when it runs.
SELECT
    section_id,
    event_type,
    count() AS events,
    uniqExact(user_id) AS students
FROM events
GROUP BY section_id, event_type
ORDER BY section_id, event_type
"""

SECTION_SPEC = {
    "description": "Events per day, one line per event type.",
    "mark": {"type": "line", "point": True, "tooltip": True},
    "encoding": {
        "x": {"field": "day", "type": "temporal", "title": "Day"},
        "y": {"field": "events", "type": "quantitative", "title": "Events"},
        "color": {"field": "event_type", "type": "nominal", "title": "Event type"},
    },
}

PROJECT_SPEC = {
    "description": "Events per section, stacked by event type.",
    "mark": {"type": "bar", "tooltip": True},
    "encoding": {
        "x": {"field": "section_id", "type": "nominal", "title": "Section"},
        "y": {"field": "events", "type": "quantitative", "title": "Events"},
        "color": {"field": "event_type", "type": "nominal", "title": "Event type"},
    },
}


def example_for(dashboard) -> tuple[str, str]:
    """Return the example SQL and spec text for a dashboard scope."""
    if dashboard.scope.kind == "section":
        return SECTION_SQL.format(time_zone=dashboard.time_zone), json.dumps(SECTION_SPEC, indent=2)
    return PROJECT_SQL, json.dumps(PROJECT_SPEC, indent=2)
