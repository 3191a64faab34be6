"""Every query of every bundled analytics plugin: registration, both scopes, and its chart's fields."""

from __future__ import annotations

import re

from .conftest import PROJECT, SECTION, WHOLE_TERM, run

BUNDLED_ANALYTICS = {"engagement", "trends", "performance", "attempts", "video"}
BOUND_EVERYWHERE = {"tz", "top_n", "range_start", "range_end"}
PLACEHOLDER = re.compile(r"\{([a-z_]+)(?::([^}]*))?\}")


def chart_fields(node) -> set[str]:
    """Collect every `field` a Vega-Lite spec names, in encodings, tooltips and sorts."""
    fields = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "field" and isinstance(value, str):
                fields.add(value)
            else:
                fields |= chart_fields(value)
    elif isinstance(node, list):
        for item in node:
            fields |= chart_fields(item)
    return fields


def bundled_queries(registry):
    return sorted(
        (query for query in registry.queries.values() if registry.plugin_of("queries", query.id) in BUNDLED_ANALYTICS),
        key=lambda query: query.id,
    )


def test_bundled_categories_have_their_order(registry):
    orders = {category.id: category.order for category in registry.categories.values()}

    assert orders["summary"] == 10
    assert orders["engagement"] == 20
    assert orders["performance"] == 30
    assert orders["attempts"] == 40
    assert orders["video"] == 50
    assert orders["trends"] == 60
    assert registry.plugin_of("categories", "summary") == "trends"


def test_bundled_query_files_follow_the_rules(registry):
    queries = bundled_queries(registry)
    assert {registry.plugin_of("queries", query.id) for query in queries} == set(BUNDLED_ANALYTICS)

    for query in queries:
        sql = query.sql()
        declared = {parameter.name for parameter in query.parameters}
        assert sql.startswith("-- title: "), query.id
        assert "{scope} AND {range}" in sql, query.id
        assert re.search(r"\bFROM events\b", sql), query.id
        assert not re.search(r"\bFROM raw_events\b", sql), query.id
        for name, type_name in PLACEHOLDER.findall(sql):
            if name in ("scope", "range"):
                assert not type_name, f"{query.id}: {{{name}}} is a marker and takes no type"
            else:
                assert type_name, f"{query.id}: {{{name}}} must be a bound parameter with a type"
                assert name in BOUND_EVERYWHERE | declared, f"{query.id}: {{{name}:{type_name}}} is never bound"


def test_every_bundled_query_runs_and_fits_its_chart(store, registry):
    for query in bundled_queries(registry):
        chart = registry.charts.get(query.id)
        assert chart is not None, f"{query.id} has no chart"
        assert chart.spec["mark"]["tooltip"] is True, f"{query.id}: the chart mark shows no tooltip"
        assert "tooltip" in chart.spec["encoding"], f"{query.id}: the chart lists no tooltip fields"

        for scope in (SECTION, PROJECT):
            result = run(store, registry, query.id, scope, WHOLE_TERM)
            assert result.rows, f"{query.id} for {scope.describe()} returned no rows"
            missing = chart_fields(chart.spec) - set(result.column_names)
            assert not missing, f"{query.id} for {scope.describe()}: the chart names columns the query does not return: {sorted(missing)}"

