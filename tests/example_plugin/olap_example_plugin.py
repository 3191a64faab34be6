"""A third-party plugin used by the tests: a "Completion" category with one query, chart, page, flag and job."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint
from flask_login import login_required

from olap import hookimpl
from olap.core.hookspecs import AnalyticsQuery, BackfillSource, Category, ChartSpec, FeatureFlag, Job, MenuItem, QueryParameter

HERE = Path(__file__).parent
bp = Blueprint("example_completion", __name__, url_prefix="/example")


@bp.route("/completion")
@login_required
def completion_page():
    return "<h1>Completion by the example plugin</h1>"


def count_to(number: int) -> int:
    """Job of the example plugin: return the sum 1 + … + number and note progress in the job meta."""
    from rq import get_current_job

    job = get_current_job()
    job.meta["progress"] = 1.0
    job.save_meta()
    return sum(range(1, number + 1))


@hookimpl
def register_categories():
    return [Category("completion", "Completion", order=50, flag="example_completion")]


@hookimpl
def register_queries():
    return [AnalyticsQuery("completion_by_page", "completion", HERE / "completion_by_page.sql", "Completion by page", (QueryParameter("limit", "UInt64", 10),))]


@hookimpl
def register_charts():
    return [ChartSpec("completion_by_page", {"mark": "bar", "encoding": {"x": {"field": "page_id"}, "y": {"field": "completed"}}})]


@hookimpl
def register_blueprints():
    return [bp]


@hookimpl
def register_flags():
    return [FeatureFlag("example_completion", "section", True, "Completion tab of the example plugin.")]


@hookimpl
def register_jobs():
    return [Job("example.count_to", count_to, timeout_seconds=30)]


@hookimpl
def register_backfill_sources():
    return [BackfillSource("example_source", "Example source", "example_completion.completion_page")]


@hookimpl
def register_menu_items():
    return [MenuItem("Completion", "example_completion.completion_page")]
