"""Plugin trends: the summary tab (events by type, summary cards) and the trends tab (events over time)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from olap import hookimpl
from olap.core.dashboards import category_blueprint
from olap.core.hookspecs import Category
from olap.core.plugin_kit import load_charts, load_queries
from olap.plugins.trends.views import summary_cards_blueprint

HERE = Path(__file__).parent
SUMMARY = "summary"
TRENDS = "trends"


@hookimpl
def register_categories():
    return [Category(SUMMARY, "Summary", order=10), Category(TRENDS, "Trends", order=60)]


@hookimpl
def register_queries():
    # One queries/ folder serves both tabs: files named summary_* belong to the summary tab.
    queries = load_queries(HERE, TRENDS)
    return [replace(query, category=SUMMARY) if query.id.startswith(f"{SUMMARY}_") else query for query in queries]


@hookimpl
def register_charts():
    return load_charts(HERE)


@hookimpl
def register_blueprints():
    return [category_blueprint(SUMMARY, __name__), category_blueprint(TRENDS, __name__), summary_cards_blueprint()]
