"""Audit records: who did what, when, with which outcome."""

from __future__ import annotations

import logging
from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from olap.core.models import AuditEvent

logger = logging.getLogger(__name__)


def record(session, action: str, outcome: str, *, target: str = "", detail: dict[str, Any] | None = None, user: Any = None, actor: str | None = None) -> AuditEvent:
    """Add an audit event to `session` (the caller commits) for the current or given user."""
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user
    event = AuditEvent(
        user_id=getattr(user, "id", None),
        actor=actor or getattr(user, "email", None) or "anonymous",
        action=action,
        target=target,
        outcome=outcome,
        detail=detail or {},
        remote_addr=(request.remote_addr or "") if has_request_context() else "",
    )
    session.add(event)
    logger.info("audit %s: %s by user %s on %r", action, outcome, event.user_id, target)
    return event
