"""Section and project dashboards: the page with its tabs, and the category partials plugins mount.

Access is checked the same way on every route: the role rule first (a user who may not
see a section or project gets 404, so its existence does not leak), then the feature
flags (403 with the reason when analytics are off for it).
"""

from __future__ import annotations

import csv
import io
import json
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, abort, current_app, request
from flask_login import current_user, login_required
from sqlalchemy import select

from olap.core.analytics import Filters, parse_filters, run_query
from olap.core.errors import OlapError, PermissionDenied
from olap.core.models import Project, Resource, Section
from olap.core.permissions import require
from olap.core.scope import Scope
from olap.core.web import render

logger = logging.getLogger(__name__)

bp = Blueprint("dashboards", __name__)
SCOPE_FLAGS = {"section": "instructor_dashboard_analytics", "project": "project_dashboard_analytics"}


@dataclass
class DashboardScope:
    """A scope the current user may open, with its title and default filters."""

    scope: Scope
    title: str
    time_zone: str
    term_start: date
    term_end: date
    base_url: str


def instance():
    return current_app.extensions["olap"]


def open_scope(kind: str, scope_id: int) -> DashboardScope:
    """Check role and flags for a section or project and return it with its defaults."""
    session = instance().db.session
    require(session, f"view_{kind}", **{f"{kind}_id": scope_id})
    flags = instance().flags
    if not flags.enabled("clickhouse-olap", user=current_user):
        raise PermissionDenied("Analytics are switched off (flag clickhouse-olap); ask an admin to enable them.")
    if not flags.enabled(SCOPE_FLAGS[kind], user=current_user, **{f"{kind}_id": scope_id}):
        raise PermissionDenied(f"Analytics are not enabled for this {kind} yet (flag {SCOPE_FLAGS[kind]}); ask an admin to enable them.")

    if kind == "section":
        section = session.get(Section, scope_id)
        scope = Scope.section(section.id, section.project_id)
        title, time_zone = section.title, section.time_zone
        start, end = section.start_date, section.end_date
    else:
        project = session.get(Project, scope_id)
        section_ids = session.scalars(select(Section.id).where(Section.project_id == project.id)).all()
        scope = Scope.project(project.id, section_ids)
        title, time_zone, start, end = project.title, "UTC", None, None
    if start is None or end is None:
        start, end = _data_span(scope, start, end)
    return DashboardScope(scope, title, time_zone, start, end, f"/{kind}s/{scope_id}/analytics")


def _data_span(scope: Scope, start: date | None, end: date | None) -> tuple[date, date]:
    """Return the first and last event day of the scope, or the last 30 days when it has none."""
    result = instance().clickhouse.query(
        f"SELECT toDate(min(timestamp)), toDate(max(timestamp)), count() FROM raw_events WHERE {scope.predicate()}", scope.parameters()
    )
    first, last, count = result.rows[0]
    if not count:
        today = date.today()
        return start or today - timedelta(days=30), end or today
    return start or first, end or last


def titles_for(scope: Scope) -> dict[tuple[str, int], str]:
    rows = instance().db.session.execute(select(Resource.kind, Resource.resource_id, Resource.title).where(Resource.project_id == scope.project_id))
    return {(kind, resource_id): title for kind, resource_id, title in rows}


def query_limits() -> dict[str, Any]:
    config = instance().config
    # A statement's copies share its sort key and so its monthly partition, so FINAL need
    # not merge across partitions, which lets each partition be collapsed on its own.
    return {
        "max_execution_time": config["CLICKHOUSE_QUERY_TIMEOUT"],
        "max_memory_usage": config["CLICKHOUSE_MAX_MEMORY"],
        "readonly": 2,
        "do_not_merge_across_partitions_select_final": 1,
    }


def visible_categories(dashboard: DashboardScope) -> list:
    registry = instance().registry
    flags = instance().flags
    ids = {f"{dashboard.scope.kind}_id": dashboard.scope.id}
    categories = [c for c in registry.categories.values() if c.flag is None or flags.enabled(c.flag, user=current_user, **ids)]
    return sorted(categories, key=lambda category: (category.order, category.title))


def filters_for(dashboard: DashboardScope) -> Filters:
    return parse_filters(request.args, dashboard.term_start, dashboard.term_end, dashboard.time_zone)


def _dashboard(kind: str, scope_id: int):
    dashboard = open_scope(kind, scope_id)
    filters = filters_for(dashboard)
    categories = visible_categories(dashboard)
    return render("analytics/dashboard.html", dashboard=dashboard, filters=filters, categories=categories, time_zones=_time_zones(dashboard.time_zone))


@bp.route("/sections/<int:section_id>/analytics")
@login_required
def section_dashboard(section_id: int):
    return _dashboard("section", section_id)


@bp.route("/projects/<int:project_id>/analytics")
@login_required
def project_dashboard(project_id: int):
    return _dashboard("project", project_id)


def _time_zones(current: str) -> list[str]:
    common = ["UTC", "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "Europe/London", "Europe/Paris", "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney"]
    return common if current in common else [current, *common]


def category_partial(kind: str, scope_id: int, category_id: str):
    """Render every chart of one category for a scope, as an HTMX partial or a full page."""
    dashboard = open_scope(kind, scope_id)
    registry = instance().registry
    category = registry.categories.get(category_id)
    if category is None or category not in visible_categories(dashboard):
        abort(404)
    filters = filters_for(dashboard)
    titles = titles_for(dashboard.scope)
    charts = []
    for query in sorted((q for q in registry.queries.values() if q.category == category_id and kind in q.scopes), key=lambda q: q.id):
        result = run_query(instance().clickhouse, query, dashboard.scope, filters, query_limits(), titles)
        chart = registry.charts.get(query.id)
        charts.append({"result": result, "spec": chart_spec(chart.spec, result) if chart and result.state == "ok" else None})
    return render("analytics/category.html", dashboard=dashboard, category=category, charts=charts, filters=filters)


def chart_spec(spec: dict, result) -> str:
    """Return the Vega-Lite spec with the rows inlined as data, as JSON text for the page."""
    full = {"$schema": "https://vega.github.io/schema/vega-lite/v6.json", "width": "container", **spec, "data": {"values": result.rows}}
    return json.dumps(full, default=str)


def query_csv(kind: str, scope_id: int, category_id: str, query_id: str) -> Response:
    """Return one query's rows for a scope as a CSV download."""
    dashboard = open_scope(kind, scope_id)
    query = instance().registry.queries.get(query_id)
    if query is None or kind not in query.scopes or query.category != category_id:
        abort(404)
    result = run_query(instance().clickhouse, query, dashboard.scope, filters_for(dashboard), query_limits(), titles_for(dashboard.scope))
    if result.state == "error":
        raise OlapError(f"The query {query_id} failed: {result.error}")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(result.column_names)
    for row in result.rows:
        writer.writerow([row.get(column) for column in result.column_names])
    filename = f"{kind}-{scope_id}-{query_id}.csv"
    return Response(buffer.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def category_blueprint(category_id: str, import_name: str) -> Blueprint:
    """Return the blueprint of a category plugin: its tab partial and CSV routes for both scopes."""
    blueprint = Blueprint(f"category_{category_id}", import_name)

    @blueprint.route(f"/sections/<int:section_id>/analytics/{category_id}", endpoint="section")
    @login_required
    def section_partial(section_id: int):
        return category_partial("section", section_id, category_id)

    @blueprint.route(f"/projects/<int:project_id>/analytics/{category_id}", endpoint="project")
    @login_required
    def project_partial(project_id: int):
        return category_partial("project", project_id, category_id)

    @blueprint.route(f"/sections/<int:section_id>/analytics/{category_id}/<query_id>.csv", endpoint="section_csv")
    @login_required
    def section_csv(section_id: int, query_id: str):
        return query_csv("section", section_id, category_id, query_id)

    @blueprint.route(f"/projects/<int:project_id>/analytics/{category_id}/<query_id>.csv", endpoint="project_csv")
    @login_required
    def project_csv(project_id: int, query_id: str):
        return query_csv("project", project_id, category_id, query_id)

    return blueprint
