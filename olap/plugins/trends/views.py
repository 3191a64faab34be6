"""The summary cards partial: total events, active students, page views and average attempt score."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort
from flask_login import login_required

from olap.core.analytics import has_events, run_query
from olap.core.dashboards import filters_for, instance, open_scope, query_limits, visible_categories
from olap.core.hookspecs import AnalyticsQuery
from olap.core.web import render

SUMMARY = "summary"
# Not in queries/, because the summary tab draws a chart for every query there. The cards
# show this query's single row instead.
CARDS_QUERY = AnalyticsQuery("summary_cards", SUMMARY, Path(__file__).parent / "cards" / "summary_cards.sql", "Summary")


def summary_cards(kind: str, scope_id: int):
    """Render the summary cards of a scope, as an HTMX partial or a full page."""
    dashboard = open_scope(kind, scope_id)
    if SUMMARY not in {category.id for category in visible_categories(dashboard)}:
        abort(404)

    store = instance().clickhouse
    filters = filters_for(dashboard)
    result = run_query(store, CARDS_QUERY, dashboard.scope, filters, query_limits())
    # The query always returns one row, so an empty scope shows as zero events, not as no rows.
    if result.state == "ok" and result.rows[0]["events"] == 0:
        result.state = "empty_range" if has_events(store, dashboard.scope) else "no_data"

    return render("trends/summary_cards.html", dashboard=dashboard, result=result, filters=filters)


def summary_cards_blueprint() -> Blueprint:
    """Return the blueprint of the cards partial for both scopes, with the plugin's templates."""
    blueprint = Blueprint("summary_cards", __name__, template_folder="templates")

    @blueprint.route("/sections/<int:section_id>/analytics/summary/cards", endpoint="section")
    @login_required
    def section_cards(section_id: int):
        return summary_cards("section", section_id)

    @blueprint.route("/projects/<int:project_id>/analytics/summary/cards", endpoint="project")
    @login_required
    def project_cards(project_id: int):
        return summary_cards("project", project_id)

    return blueprint
