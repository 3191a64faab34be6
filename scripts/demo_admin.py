#!/usr/bin/env python3
"""Create the demo admin account when the instance has no admin, and print how to sign in.

The generated password is stored in OLAP_HOME/demo-admin.json (mode 600) so that a
rerun of scripts/demo can print it again. Run it after `olap migrate up`, with the same
settings as `olap serve`.
"""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path

from sqlalchemy import select
from werkzeug.security import check_password_hash

from olap.core import audit
from olap.core.auth import create_user
from olap.core.config import load_config
from olap.core.db import Database
from olap.core.errors import OlapError
from olap.core.models import User

DEMO_EMAIL = "admin@example.edu"
CREDENTIALS_FILE = "demo-admin.json"


def read_credentials(path: Path) -> tuple[str, str] | None:
    """Return the (email, password) stored by an earlier run, or None."""
    if not path.is_file():
        return None
    try:
        stored = json.loads(path.read_text())
        return stored["email"], stored["password"]
    except (ValueError, KeyError, TypeError):
        return None


def write_credentials(path: Path, email: str, password: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(json.dumps({"email": email, "password": password}) + "\n")


def ensure_admin(database: Database, credentials_path: Path) -> str:
    """Create the demo admin if no active admin exists, and return the lines to print."""
    session = database.session
    admins = session.scalars(select(User).where(User.is_admin, User.active).order_by(User.id)).all()

    if not admins:
        password = secrets.token_urlsafe(12)
        user = create_user(session, DEMO_EMAIL, password, "admin")
        audit.record(session, "user.create", "succeeded", target=user.email, detail={"role": "admin"}, actor="scripts/demo")
        session.commit()
        write_credentials(credentials_path, user.email, password)
        return f"demo: created admin {user.email} with password {password}\ndemo: the password is stored in {credentials_path}"

    stored = read_credentials(credentials_path)
    if stored is not None:
        email, password = stored
        for admin in admins:
            if admin.email == email and check_password_hash(admin.password_hash, password):
                return f"demo: sign in as {email} with password {password} (stored in {credentials_path})"

    emails = ", ".join(admin.email for admin in admins)
    return (
        f"demo: admin accounts exist ({emails}), but {credentials_path} has no valid password for them.\n"
        "demo: sign in with the password you set, or create another admin with "
        "`.venv/bin/olap users create EMAIL --role admin`, which prints a generated password."
    )


def main() -> int:
    try:
        config = load_config()
        database = Database(config.database_url)
        try:
            print(ensure_admin(database, config.home / CREDENTIALS_FILE))
        finally:
            database.dispose()
    except OlapError as err:
        print(f"demo: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
