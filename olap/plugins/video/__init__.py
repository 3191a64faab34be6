"""Plugin video: plays, completion and progress per video."""

from __future__ import annotations

from pathlib import Path

from olap import hookimpl
from olap.core.dashboards import category_blueprint
from olap.core.hookspecs import Category
from olap.core.plugin_kit import load_charts, load_queries

HERE = Path(__file__).parent
CATEGORY = "video"


@hookimpl
def register_categories():
    return [Category(CATEGORY, "Video", order=50)]


@hookimpl
def register_queries():
    return load_queries(HERE, CATEGORY)


@hookimpl
def register_charts():
    return load_charts(HERE)


@hookimpl
def register_blueprints():
    return [category_blueprint(CATEGORY, __name__)]
