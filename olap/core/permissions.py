"""The one permission rule every view goes through: admin, instructor of a section, author of a project."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from olap.core.models import Membership, Project, Section


def is_admin(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_admin)


def section_ids_of(session, user: Any) -> set[int]:
    """Return the sections a user teaches."""
    rows = session.scalars(select(Membership.section_id).where(Membership.user_id == user.id, Membership.role == "instructor"))
    return {row for row in rows if row is not None}


def project_ids_of(session, user: Any) -> set[int]:
    """Return the projects a user authors."""
    rows = session.scalars(select(Membership.project_id).where(Membership.user_id == user.id, Membership.role == "author"))
    return {row for row in rows if row is not None}


def can(session, user: Any, permission: str, *, section_id: int | None = None, project_id: int | None = None) -> bool:
    """Return whether `user` holds `permission`: admin, view_section or view_project."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_admin:
        return True
    if permission == "admin":
        return False
    if permission == "view_section" and section_id is not None:
        return section_id in section_ids_of(session, user)
    if permission == "view_project" and project_id is not None:
        return project_id in project_ids_of(session, user)
    if permission == "authenticated":
        return True
    return False


def require(session, permission: str, *, section_id: int | None = None, project_id: int | None = None) -> None:
    """Abort the request unless the current user holds `permission`.

    Signed-out users are sent to the login page (401 is turned into a redirect by
    Flask-Login). A user without access to a section or project gets 404, so the answer
    does not reveal whether it exists; other missing permissions get 403.
    """
    if not current_user.is_authenticated:
        abort(401)
    if can(session, current_user, permission, section_id=section_id, project_id=project_id):
        if section_id is not None and session.get(Section, section_id) is None:
            abort(404)
        if project_id is not None and session.get(Project, project_id) is None:
            abort(404)
        return
    abort(404 if permission in ("view_section", "view_project") else 403)
