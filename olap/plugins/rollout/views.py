"""Admin page of feature flags: each flag's stage and reach, stage changes and one-click rollback."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required

from olap.core.permissions import require
from olap.core.web import render, wants_fragment
from olap.plugins.rollout import service
from olap.plugins.rollout.unleash_admin import FlagServiceError

logger = logging.getLogger(__name__)

bp = Blueprint("rollout", __name__, url_prefix="/admin/flags", template_folder="templates")


def instance():
    return current_app.extensions["olap"]


@bp.before_request
@login_required
def check_access():
    require(instance().db.session, "admin")


def _page(message: str = "", error: str = "", status: int = 200):
    store = service.open_flag_store(instance().config, instance().registry.flags)
    session = instance().db.session
    rows = [(entry, service.reach(session, entry.flag, entry.feature)) for entry in service.list_stages(store, instance().registry.flags)]
    template = "rollout/table.html" if wants_fragment() else "rollout/flags.html"
    return render(template, status=status, rows=rows, store_kind=store.kind, message=message, error=error)


@bp.route("/")
def flags_page():
    return _page()


def _after_change(action) -> object:
    store = service.open_flag_store(instance().config, instance().registry.flags)
    try:
        previous, current = action(store)
    except FlagServiceError as err:
        return _page(error=str(err), status=502)
    message = f"{request.view_args['name']}: {previous} → {current}."
    if wants_fragment():
        return _page(message=message)
    flash(message)
    return redirect(url_for("rollout.flags_page"))


@bp.route("/<name>/stage", methods=["POST"])
def stage(name: str):
    target = request.form.get("stage", "")
    flags = instance().registry.flags
    return _after_change(lambda store: service.change_stage(store, instance().db.session, flags, name, target, actor=current_user.email))


@bp.route("/<name>/rollback", methods=["POST"])
def rollback(name: str):
    flags = instance().registry.flags
    return _after_change(lambda store: service.rollback(store, instance().db.session, flags, name, actor=current_user.email))
