"""Sign-in: Flask-Login sessions, hashed passwords, the login and logout pages, user management."""

from __future__ import annotations

import logging
import re
import time
from urllib.parse import urlparse

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from olap.core import audit
from olap.core.errors import Conflict, NotFound, UserInputError
from olap.core.models import ROLES, Membership, Project, Section, User
from olap.core.ratelimit import TooManyLoginAttempts, login_limiter
from olap.core.web import render

logger = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see this page."

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
MIN_PASSWORD_LENGTH = 8
# Verifying against this hash when the email is unknown keeps the response time the same
# as for a wrong password, so timing does not reveal which emails have accounts.
_UNKNOWN_USER_HASH = generate_password_hash("unknown-user-placeholder")


def db():
    return current_app.extensions["olap"].db


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    try:
        return db().session.get(User, int(user_id))
    except ValueError:
        return None


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise UserInputError(f"Email {email!r} is invalid; use an address such as name@example.edu.")
    return email


def create_user(session, email: str, password: str, role: str, section_ids=(), project_ids=(), internal: bool = False) -> User:
    """Create a user with a role; instructors get sections, authors get projects."""
    email = normalise_email(email)
    if role not in ROLES:
        raise UserInputError(f"Role {role!r} is unknown; use one of: {', '.join(ROLES)}.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserInputError(f"The password is too short; use at least {MIN_PASSWORD_LENGTH} characters.")
    if role == "instructor" and not section_ids:
        raise UserInputError("An instructor needs at least one section; add --section ID.")
    if role == "author" and not project_ids:
        raise UserInputError("An author needs at least one project; add --project ID.")
    if role == "admin" and (section_ids or project_ids):
        raise UserInputError("An admin sees every section and project; drop --section and --project.")
    if session.scalar(select(User).where(func.lower(User.email) == email)) is not None:
        raise Conflict(f"A user with email {email} already exists; choose another email.")
    for section_id in section_ids:
        if session.get(Section, section_id) is None:
            raise NotFound(f"Section {section_id} does not exist; import it first with `olap import sections FILE`.")
    for project_id in project_ids:
        if session.get(Project, project_id) is None:
            raise NotFound(f"Project {project_id} does not exist; import it first with `olap import projects FILE`.")

    user = User(email=email, password_hash=generate_password_hash(password), is_admin=role == "admin", is_internal=internal)
    user.memberships = [Membership(role="instructor", section_id=section_id) for section_id in section_ids]
    user.memberships += [Membership(role="author", project_id=project_id) for project_id in project_ids]
    session.add(user)
    session.flush()
    return user


def authenticate(session, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        check_password_hash(_UNKNOWN_USER_HASH, password)
        return None
    if not user.active or not check_password_hash(user.password_hash, password):
        return None
    return user


def _safe_next(target: str | None) -> str:
    """Return `target` when it is a path on this site, else the home page."""
    if not target:
        return url_for("core.index")
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("core.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request.args.get("next")))
    error = None
    status = 200
    if request.method == "POST":
        session = db().session
        email = request.form.get("email", "")
        limiter = login_limiter(current_app)
        address = request.remote_addr or ""
        try:
            limiter.check(email, address)
        except TooManyLoginAttempts as err:
            audit.record(session, "login", "rate_limited", actor=email.strip().lower()[:320] or "anonymous")
            session.commit()
            response = render("login.html", status=429, error=str(err), next=request.args.get("next", ""))
            response.headers["Retry-After"] = str(err.retry_after_seconds)
            return response
        user = authenticate(session, email, request.form.get("password", ""))
        if user is None:
            limiter.record_failure(email, address)
            audit.record(session, "login", "failed", actor=email.strip().lower()[:320] or "anonymous")
            session.commit()
            error = "The email or password is incorrect."
            status = 401
            time.sleep(0.2)
        else:
            limiter.reset(email)
            login_user(user)
            audit.record(session, "login", "succeeded", user=user)
            session.commit()
            return redirect(_safe_next(request.args.get("next")))
    return render("login.html", status=status, error=error, next=request.args.get("next", ""))


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    session = db().session
    audit.record(session, "logout", "succeeded")
    session.commit()
    logout_user()
    flash("You are signed out.")
    return redirect(url_for("auth.login"))
