#!/usr/bin/env python3
"""Check that a PostgreSQL or Redis server accepts connections at a URL, and exit 0 when it does.

Usage: service_ping.py postgres|redis URL. PostgreSQL URLs may use SQLAlchemy's
`postgresql+psycopg://` form. On failure it prints the reason and exits 1.
"""

from __future__ import annotations

import sys
from urllib.parse import urlsplit

TIMEOUT_SECONDS = 3


def without_password(url: str) -> str:
    """Return `url` with any password replaced by ***, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)).geturl()


def ping_postgres(url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, connect_timeout=TIMEOUT_SECONDS) as connection:
        connection.execute("SELECT 1")


def ping_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS)
    try:
        client.ping()
    finally:
        client.close()


PINGS = {"postgres": ping_postgres, "redis": ping_redis}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in PINGS:
        print("usage: service_ping.py postgres|redis URL", file=sys.stderr)
        return 2
    kind, url = argv
    try:
        PINGS[kind](url)
    except Exception as err:  # any driver error means the server cannot be used
        print(f"{kind} at {without_password(url)} does not accept connections: {type(err).__name__}: {err}".strip(), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
