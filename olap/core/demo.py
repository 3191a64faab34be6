"""`olap demo`: a working instance on one machine, with generated data, accounts and flags.

Each step is skipped when an earlier run already did it, so a rerun starts serving at
once with the same data and passwords.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from sqlalchemy import func, select

from olap.core.auth import create_user
from olap.core.flags import set_flag
from olap.core.importer import import_file
from olap.core.instance import Instance
from olap.core.migrations import Migrator
from olap.core.models import Project, Section, User

logger = logging.getLogger(__name__)

ACCOUNTS_FILE = "demo-accounts.json"
DEMO_FLAGS = ("clickhouse-olap", "clickhouse-olap-bulk-ingest", "instructor_dashboard_analytics", "project_dashboard_analytics")


@dataclass(frozen=True)
class DemoSize:
    """How much data the demo generates."""

    projects: int = 2
    sections: int = 6
    students: int = 300
    events: int = 500_000
    seed: int = 1


def migrate(instance: Instance) -> None:
    instance.db.upgrade()
    migrator = Migrator(instance.config.clickhouse_admin, cluster=instance.config["CLICKHOUSE_CLUSTER"])
    try:
        migrator.up()
    finally:
        migrator.close()


def load_data(instance: Instance, size: DemoSize, say: Callable[[str], None]) -> None:
    """Generate statements and the catalog into OLAP_HOME/demo-data, import and ingest them."""
    from olap.generator import generate
    from olap.ingest import IngestSummary, ingest_lines

    folder = instance.config.home / "demo-data"
    marker = folder / "loaded.json"
    if marker.exists():
        say(f"demo: data already loaded ({marker.read_text().strip()})")
        return
    # A run stopped halfway leaves no marker; generating again gives the same bytes and
    # ingest skips what is stored, so the rerun completes without counting anything twice.
    say(f"demo: generating {size.events} statements for {size.students} students in {size.sections} sections into {folder}")
    summary = generate(folder, projects=size.projects, sections=size.sections, students=size.students, events=size.events, seed=size.seed, gzip=True)

    session = instance.db.session
    for kind in ("projects", "sections", "resources"):
        import_file(session, kind, folder / f"{kind}.json")
    total = IngestSummary()
    for part in sorted(folder.rglob("*.jsonl*")):
        total.add(ingest_lines(instance.clickhouse_admin, _read_lines(part), f"demo/{part.relative_to(folder)}"))
    counts = {"lines": summary.lines, "inserted": total.inserted, "duplicates": total.duplicates, "rejected": total.rejected}
    marker.write_text(json.dumps(counts) + "\n")
    say(f"demo: {summary.lines} lines in, {total.inserted} events stored, {total.duplicates} duplicates, {total.rejected} rejected")


def _read_lines(path: Path):
    import gzip

    opener = gzip.open if path.read_bytes()[:2] == b"\x1f\x8b" else open
    with opener(path, "rb") as handle:
        for line in handle:
            yield line.rstrip(b"\n")


def ensure_accounts(instance: Instance) -> dict[str, str]:
    """Create the admin, instructor and author accounts once; return email to password."""
    path = instance.config.home / ACCOUNTS_FILE
    session = instance.db.session
    if path.exists():
        accounts = json.loads(path.read_text())
        if all(session.scalar(select(func.count()).select_from(User).where(User.email == email)) for email in accounts):
            return accounts

    first_project = session.scalar(select(Project.id).order_by(Project.id))
    sections = session.scalars(select(Section.id).where(Section.project_id == first_project).order_by(Section.id)).all()
    wanted = {
        "admin@example.edu": ("admin", [], []),
        "instructor@example.edu": ("instructor", sections[:2], []),
        "author@example.edu": ("author", [], [first_project]),
    }
    accounts = {}
    for email, (role, section_ids, project_ids) in wanted.items():
        password = secrets.token_urlsafe(9)
        existing = session.scalar(select(User).where(User.email == email))
        if existing is not None:
            session.delete(existing)
            session.flush()
        create_user(session, email, password, role, section_ids, project_ids, internal=role == "admin")
        accounts[email] = password
    session.commit()
    path.write_text(json.dumps(accounts, indent=1) + "\n")
    path.chmod(0o600)
    return accounts


def enable_flags(instance: Instance) -> None:
    for name in DEMO_FLAGS:
        if name in instance.registry.flags:
            set_flag(instance.config.flags_file, instance.registry.flags, name, True)


def prepare(instance: Instance, size: DemoSize, say: Callable[[str], None]) -> dict[str, str]:
    """Run every demo step on an instance and return the accounts."""
    say("demo: applying migrations")
    migrate(instance)
    load_data(instance, size, say)
    enable_flags(instance)
    return ensure_accounts(instance)
