"""Helpers that give every analytics plugin the same shape: queries/*.sql and charts/*.json.

A query file is named by its id and starts with comment lines that describe it:

    -- title: Top pages by views
    -- param: limit UInt64 10

Its chart, when it has one, is `charts/<query id>.json` (a Vega-Lite spec without data).
"""

from __future__ import annotations

import json
from pathlib import Path

from olap.core.errors import PluginError
from olap.core.hookspecs import AnalyticsQuery, ChartSpec, QueryParameter


def load_queries(folder: Path, category: str) -> list[AnalyticsQuery]:
    """Return one AnalyticsQuery per `queries/*.sql` file of a plugin folder."""
    queries = []
    for path in sorted((folder / "queries").glob("*.sql")):
        title = path.stem.replace("_", " ").capitalize()
        parameters = []
        for line in path.read_text().splitlines():
            if not line.startswith("--"):
                break
            text = line[2:].strip()
            if text.startswith("title:"):
                title = text.split(":", 1)[1].strip()
            elif text.startswith("param:"):
                parts = text.split(":", 1)[1].split()
                if len(parts) != 3:
                    raise PluginError(f"Query file {path}: '{line}' must read '-- param: name Type default'.")
                parameters.append(QueryParameter(parts[0], parts[1], parts[2]))
        queries.append(AnalyticsQuery(path.stem, category, path, title, tuple(parameters)))
    return queries


def load_charts(folder: Path) -> list[ChartSpec]:
    """Return one ChartSpec per `charts/*.json` file of a plugin folder."""
    charts = []
    for path in sorted((folder / "charts").glob("*.json")):
        try:
            spec = json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise PluginError(f"Chart file {path} is not valid JSON: {err}") from err
        charts.append(ChartSpec(path.stem, spec))
    return charts
