"""Checks of user Vega-Lite specs: a spec is data that draws the query rows, never a way to load or link.

The page renders specs with vega-embed's AST interpreter, so no spec expression is
evaluated with eval. These checks remove the other ways a spec reaches outside: data
loaded from a URL, link (`href`) and image (`url`) channels, nested data sources and
`usermeta`, from which vega-embed reads embed options. The query rows become the spec's
only data, inlined as values.
"""

from __future__ import annotations

import json
from typing import Any

from olap.core.errors import UserInputError

MAX_SPEC_CHARS = 100_000
MAX_DEPTH = 30
SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
# Keys rejected at any depth. `data`, `datasets` and `url` load data; `href` makes links;
# `usermeta` carries vega-embed options; `$ref` points at other documents.
FORBIDDEN_KEYS = {
    "data": "the query rows are the only data of a chart; remove the data property",
    "datasets": "the query rows are the only data of a chart; remove datasets",
    "url": "charts may not load anything from a URL",
    "href": "charts may not contain links",
    "usermeta": "usermeta can change how the chart is embedded",
    "$ref": "specs may not refer to other documents",
    "loader": "specs may not configure how data is loaded",
}


class SpecRejected(UserInputError):
    """A Vega-Lite spec that is not valid JSON or uses a feature charts may not use."""


def parse_spec(text: str) -> dict[str, Any]:
    """Parse and check a spec written by a user; return it without data, or raise SpecRejected."""
    if len(text) > MAX_SPEC_CHARS:
        raise SpecRejected(f"The chart spec has {len(text)} characters, more than the {MAX_SPEC_CHARS} allowed; shorten it.")
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as err:
        raise SpecRejected(f"The chart spec is not valid JSON: {err.msg} (line {err.lineno}, column {err.colno}).") from None
    if not isinstance(spec, dict):
        raise SpecRejected("The chart spec must be a JSON object such as {\"mark\": \"bar\", \"encoding\": {…}}.")
    top_level = dict(spec)
    # A top-level data property is tolerated because examples often carry one; it is replaced.
    top_level.pop("data", None)
    top_level.pop("$schema", None)
    check_value(top_level, "spec", 0)
    return top_level


def check_value(value: Any, path: str, depth: int) -> None:
    """Walk a spec value and raise SpecRejected on a forbidden key or excessive nesting."""
    if depth > MAX_DEPTH:
        raise SpecRejected(f"The chart spec nests deeper than {MAX_DEPTH} levels at {path}; flatten it.")
    if isinstance(value, dict):
        for key, item in value.items():
            if key in FORBIDDEN_KEYS:
                raise SpecRejected(f"The chart spec uses {key!r} at {path}: {FORBIDDEN_KEYS[key]}.")
            check_value(item, f"{path}.{key}", depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_value(item, f"{path}[{index}]", depth + 1)


def with_rows(spec: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    """Return the checked spec with the rows inlined as its data, as JSON text for the page."""
    full = {"$schema": SCHEMA, "width": "container", **spec, "data": {"values": rows}}
    return json.dumps(full, default=str)
