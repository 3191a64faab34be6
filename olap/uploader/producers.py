"""Producer API keys: created once, shown once, stored as a SHA-256 hash.

A key is `olap_<prefix>_<secret>`. The prefix finds the producer without a scan; the
secret has 256 bits of entropy, so a plain SHA-256 is enough to store it safely.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timezone

from sqlalchemy import select

from olap.core.errors import Conflict, NotFound, UserInputError
from olap.core.models import Producer

NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")
KEY = re.compile(r"^olap_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{20,})$")


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_producer(session, name: str) -> tuple[Producer, str]:
    """Create a producer and return it with its API key, which is not stored anywhere."""
    name = name.strip().lower()
    if not NAME.match(name):
        raise UserInputError(f"Producer name {name!r} is invalid; use lowercase letters, digits, '.', '_' or '-', starting with a letter or digit.")
    if session.scalar(select(Producer).where(Producer.name == name)) is not None:
        raise Conflict(f"A producer named {name} already exists; revoke it or choose another name.")
    prefix = secrets.token_hex(6)
    key = f"olap_{prefix}_{secrets.token_urlsafe(32)}"
    producer = Producer(name=name, key_prefix=prefix, key_hash=_hash(key))
    session.add(producer)
    session.flush()
    return producer, key


def revoke_producer(session, name: str) -> Producer:
    producer = session.scalar(select(Producer).where(Producer.name == name.strip().lower()))
    if producer is None:
        raise NotFound(f"No producer is named {name}.")
    producer.revoked_at = datetime.now(timezone.utc)
    return producer


def authenticate_key(session, key: str) -> Producer | None:
    """Return the active producer that owns `key`, or None."""
    match = KEY.match(key.strip())
    if not match:
        return None
    producer = session.scalar(select(Producer).where(Producer.key_prefix == match.group(1)))
    if producer is None or producer.revoked_at is not None:
        return None
    if not hmac.compare_digest(producer.key_hash, _hash(key.strip())):
        return None
    return producer
