"""Rendering helpers and error pages shared by every view.

A page template extends `base.html`, which extends the full layout on a normal request
and a bare fragment on an HTMX request (unless boosted), so one template serves both.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, render_template, request
from htmx_flask import make_response as htmx_response
from werkzeug.exceptions import HTTPException

from olap.core.errors import OlapError

logger = logging.getLogger(__name__)


def wants_fragment() -> bool:
    """Return whether this request is an HTMX request for a fragment rather than a full page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(template: str, status: int = 200, **context: Any):
    """Render `template` as a full page, or as a fragment for an HTMX request."""
    fragment = wants_fragment()
    return htmx_response(render_template(template, fragment=fragment, **context), status)


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/xapi/")) or request.accept_mimetypes.best == "application/json"


def register_error_handlers(app: Flask) -> None:
    """Register handlers that render HTTP errors and OlapErrors as an error page, fragment or JSON body."""

    def error_response(status: int, title: str, message: str):
        if _wants_json():
            return jsonify({"error": title, "message": message}), status
        response = render("error.html", status=status, status_code=status, title=title, message=message)
        if wants_fragment():
            # HTMX does not swap 4xx/5xx responses by default, and the error card must still show.
            response.headers["HX-Reswap"] = "innerHTML"
        return response

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        return error_response(err.code or 500, err.name, err.description or "")

    @app.errorhandler(OlapError)
    def olap_error(err: OlapError):
        if err.status >= 500:
            logger.warning("request %s %s failed: %s", request.method, request.path, err)
        return error_response(err.status, type(err).__name__.replace("Error", " error").strip(), str(err))

    @app.errorhandler(Exception)
    def unexpected_error(err: Exception):
        logger.exception("request %s %s: unexpected error", request.method, request.path)
        return error_response(500, "Internal Server Error", "Something went wrong on our side; the error was logged.")
