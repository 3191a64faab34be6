"""The Flask application factory."""

from __future__ import annotations

import logging
from typing import Any, Mapping

from flask import Flask, request
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect, generate_csrf
from htmx_flask import Htmx

from olap.core import auth, dashboards, telemetry, views
from olap.core.config import load_config
from olap.core.instance import Instance
from olap.core.jobs import Jobs
from olap.core.permissions import can
from olap.uploader import views as uploader_views
from olap.core.web import register_error_handlers

logger = logging.getLogger(__name__)

csrf = CSRFProtect()
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def create_app(test_config: Mapping[str, Any] | None = None, *, start_workers: bool | None = None) -> Flask:
    """Build the web app from environment settings, overridden by `test_config` entries.

    `start_workers` starts in-process job worker threads; by default they start when
    ClickHouse is embedded or REDIS_URL is empty, because then no other process can run
    the jobs.
    """
    config = load_config(overrides=test_config)
    telemetry.configure_logging(config["LOG_LEVEL"], config["LOG_FORMAT"])
    instance = Instance(config)

    app = Flask("olap", template_folder="templates", static_folder="static", root_path=_package_root())
    app.config.update(
        SECRET_KEY=config.secret_key(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=_secure_cookies(config),
        REMEMBER_COOKIE_SECURE=_secure_cookies(config),
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=False,
        TESTING=config["OLAP_ENV"] == "test",
    )
    app.extensions["olap"] = instance

    Htmx(app)
    csrf.init_app(app)
    auth.login_manager.init_app(app)
    register_error_handlers(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(dashboards.bp)
    # Producers authenticate with API keys, not session cookies, so CSRF does not apply.
    csrf.exempt(uploader_views.bp)
    app.register_blueprint(uploader_views.bp)
    for blueprint in instance.registry.blueprints.values():
        app.register_blueprint(blueprint)
    telemetry.init_app(app)

    @app.context_processor
    def layout_context() -> dict[str, Any]:
        return {"csrf_token": generate_csrf, "menu_items": _visible_menu_items(instance), "flag_enabled": _flag_enabled(instance)}

    @app.after_request
    def security_headers(response):
        # Charts render through Vega's AST interpreter, so no script needs eval; inline
        # styles stay allowed because vega-embed and htmx set style attributes.
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    @app.teardown_appcontext
    def remove_session(_error: BaseException | None) -> None:
        instance.db.remove_session()

    instance.jobs = Jobs(app, config["REDIS_URL"], str(config.home), instance.registry.jobs)
    if start_workers is None:
        start_workers = config.embedded_clickhouse or not config["REDIS_URL"]
    if start_workers:
        instance.jobs.start_threads(config["OLAP_WORKER_THREADS"])
        # An embedded server that restarts has lost its in-process queue, so batches of
        # inventory runs that were queued or running get their jobs back.
        if config["OLAP_WORKER_THREADS"] and "backfill_inventory.recover" in instance.registry.jobs and _metadata_at_head(instance):
            instance.jobs.enqueue("backfill_inventory.recover", job_id="inventory-recover")
    return app


def _metadata_at_head(instance: Instance) -> bool:
    """Return whether the metadata schema is migrated, so jobs may read their tables."""
    try:
        current, head = instance.db.revision_status()
    except Exception:  # an unreachable or empty database: there is nothing to recover yet
        return False
    return current == head


def _package_root() -> str:
    import olap

    return olap.__path__[0]


def _secure_cookies(config) -> bool:
    forced = config["OLAP_LOGIN_SECURE_COOKIES"]
    return config.production if forced is None else forced


def _visible_menu_items(instance: Instance) -> list:
    if not current_user.is_authenticated:
        return []
    session = instance.db.session
    items = [item for item in instance.registry.menu_items.values() if can(session, current_user, item.permission)]
    return sorted(items, key=lambda item: (item.order, item.label))


def _flag_enabled(instance: Instance):
    def enabled(name: str, **ids: int) -> bool:
        return instance.flags.enabled(name, user=current_user, **ids)

    return enabled
