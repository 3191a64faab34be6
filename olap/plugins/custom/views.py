"""The Custom tab: SQL and Vega-Lite editors, runs, and saved queries for a section or project."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, request
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from olap.core import audit
from olap.core.dashboards import DashboardScope, instance, open_scope, visible_categories
from olap.core.errors import Conflict, UserInputError
from olap.core.web import render
from olap.plugins.custom.chart_spec import SpecRejected, parse_spec, with_rows
from olap.plugins.custom.examples import example_for
from olap.plugins.custom.models import SavedQuery
from olap.plugins.custom.runner import RATE_LIMITER, RUNS_PER_MINUTE, TooManyRuns, query_limits, run_custom_sql, setting

logger = logging.getLogger(__name__)

CATEGORY = "custom"
MAX_NAME_CHARS = 200
RUN_STATUS = {"ok": 200, "rejected": 422, "limit": 422, "timeout": 504, "error": 502}


def open_custom(kind: str, scope_id: int) -> DashboardScope:
    """Check role and flags like every dashboard route, then that the Custom tab is visible."""
    dashboard = open_scope(kind, scope_id)
    if CATEGORY not in {category.id for category in visible_categories(dashboard)}:
        abort(404)
    return dashboard


def saved_queries(dashboard: DashboardScope) -> list[SavedQuery]:
    session = instance().db.session
    statement = select(SavedQuery).where(
        SavedQuery.user_id == current_user.id, SavedQuery.scope_kind == dashboard.scope.kind, SavedQuery.scope_id == dashboard.scope.id
    )
    return list(session.scalars(statement.order_by(SavedQuery.name)))


def saved_query(dashboard: DashboardScope, saved_id: int) -> SavedQuery:
    """Return one of the current user's saved queries of this scope, or answer 404."""
    saved = instance().db.session.get(SavedQuery, saved_id)
    if saved is None or saved.user_id != current_user.id or (saved.scope_kind, saved.scope_id) != (dashboard.scope.kind, dashboard.scope.id):
        abort(404)
    return saved


def editor(kind: str, scope_id: int):
    """Render the editors, filled with a saved query (`?saved=ID`) or the scope's example."""
    dashboard = open_custom(kind, scope_id)
    saved_id = request.args.get("saved", type=int)
    if saved_id is not None:
        saved = saved_query(dashboard, saved_id)
        sql, spec, name = saved.sql, saved.spec, saved.name
    else:
        sql, spec = example_for(dashboard)
        name = ""
    return render("custom/editor.html", dashboard=dashboard, sql=sql, spec=spec, name=name, saved=saved_queries(dashboard))


def run(kind: str, scope_id: int):
    """Run the posted (or a saved) query for the scope and render its chart, table and SQL."""
    dashboard = open_custom(kind, scope_id)
    saved_id = request.form.get("saved_id", type=int)
    if saved_id is not None:
        saved = saved_query(dashboard, saved_id)
        sql, spec_text = saved.sql, saved.spec
    else:
        sql, spec_text = request.form.get("sql", ""), request.form.get("spec", "")

    config = instance().config
    session = instance().db.session
    target = f"{dashboard.scope.kind}:{dashboard.scope.id}"
    try:
        RATE_LIMITER.check(str(current_user.id), setting(config.values, *RUNS_PER_MINUTE))
    except TooManyRuns as err:
        audit.record(session, "custom_sql.run", "rate_limited", target=target)
        session.commit()
        return render("custom/result.html", status=429, outcome="rate_limited", message=str(err), result=None, dashboard=dashboard)

    try:
        spec = parse_spec(spec_text) if spec_text.strip() else None
    except SpecRejected as err:
        return render("custom/result.html", status=422, outcome="spec_rejected", message=str(err), result=None, dashboard=dashboard)

    result = run_custom_sql(instance().clickhouse, sql, dashboard.scope, query_limits(config.values), f"user:{current_user.id}")
    audit.record(session, "custom_sql.run", result.outcome, target=target, detail=result.audit_detail())
    session.commit()
    chart = with_rows(spec, result.rows) if spec is not None and result.outcome == "ok" and result.rows else None
    return render("custom/result.html", status=RUN_STATUS[result.outcome], outcome=result.outcome, message=result.error, result=result, chart=chart, dashboard=dashboard)


def save(kind: str, scope_id: int):
    """Save the posted SQL and spec under a name for the current user and scope; a same name replaces it."""
    dashboard = open_custom(kind, scope_id)
    name = request.form.get("name", "").strip()
    sql = request.form.get("sql", "")
    spec_text = request.form.get("spec", "")
    if not name or len(name) > MAX_NAME_CHARS:
        raise UserInputError(f"A saved query needs a name of 1 to {MAX_NAME_CHARS} characters; got {len(name)}.")
    if not sql.strip():
        raise UserInputError("The SQL editor is empty; write a query before saving it.")
    if spec_text.strip():
        parse_spec(spec_text)

    session = instance().db.session
    existing = session.scalars(
        select(SavedQuery).where(SavedQuery.user_id == current_user.id, SavedQuery.scope_kind == kind, SavedQuery.scope_id == scope_id, SavedQuery.name == name)
    ).first()
    if existing is None:
        session.add(SavedQuery(user_id=current_user.id, scope_kind=kind, scope_id=scope_id, name=name, sql=sql, spec=spec_text))
    else:
        existing.sql, existing.spec = sql, spec_text
    try:
        session.commit()
    except IntegrityError as err:
        session.rollback()
        raise Conflict(f"A saved query named {name!r} was just created by another request; save again.") from err
    return render("custom/saved_page.html", dashboard=dashboard, saved=saved_queries(dashboard), message=f"Saved {name!r}.")


def delete(kind: str, scope_id: int, saved_id: int):
    """Delete one of the current user's saved queries of this scope."""
    dashboard = open_custom(kind, scope_id)
    saved = saved_query(dashboard, saved_id)
    name = saved.name
    session = instance().db.session
    session.delete(saved)
    session.commit()
    return render("custom/saved_page.html", dashboard=dashboard, saved=saved_queries(dashboard), message=f"Deleted {name!r}.")


def custom_blueprint() -> Blueprint:
    """Return the blueprint of the Custom tab for sections and projects."""
    blueprint = Blueprint("custom", __name__, template_folder="templates")
    for kind in ("section", "project"):
        base = f"/{kind}s/<int:scope_id>/analytics/{CATEGORY}"
        blueprint.add_url_rule(base, f"{kind}_editor", login_required(_bind(editor, kind)), methods=["GET"])
        blueprint.add_url_rule(f"{base}/run", f"{kind}_run", login_required(_bind(run, kind)), methods=["POST"])
        blueprint.add_url_rule(f"{base}/saved", f"{kind}_save", login_required(_bind(save, kind)), methods=["POST"])
        blueprint.add_url_rule(f"{base}/saved/<int:saved_id>/delete", f"{kind}_delete", login_required(_bind(delete, kind)), methods=["POST"])
    return blueprint


def _bind(view, kind: str):
    def bound(**arguments):
        return view(kind, **arguments)

    bound.__name__ = f"{view.__name__}_{kind}"
    return bound
