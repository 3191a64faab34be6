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
from olap.core.errors import OlapError
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
    url = upload_parts(folder, say)
    run = backfill(instance, url, say)
    counts = {"lines": summary.lines, "backfill_run": run.id, "rows": run.rows_written, "rejects": run.rejects}
    marker.write_text(json.dumps(counts) + "\n")
    stored = instance.clickhouse_admin.query("SELECT count() FROM events").scalar()
    say(f"demo: {summary.lines} lines loaded by backfill run {run.id} in {run.duration_ms / 1000:.1f} s; {stored} events after duplicates and voided statements are left out")


DEMO_BUCKET = "olap-demo"


def start_local_s3(say: Callable[[str], None]):
    """Start moto's S3 server on a free loopback port and point the AWS settings at it.

    Nothing is started when AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_S3 is already set.
    """
    import os
    import socket

    if os.environ.get("AWS_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL_S3"):
        return None
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{port}"
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "demo")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "demo")
    os.environ.setdefault("AWS_REGION", "us-east-1")
    say(f"demo: local S3 server (moto) on http://127.0.0.1:{port}, bucket {DEMO_BUCKET}")
    return server


def upload_parts(folder: Path, say: Callable[[str], None]) -> str:
    """Upload the generated JSONL parts to the demo bucket and return their glob URL."""
    from olap.core.s3 import s3_client

    client = s3_client()
    try:
        client.create_bucket(Bucket=DEMO_BUCKET)
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass
    parts = sorted(folder.rglob("*.jsonl*"))
    for part in parts:
        client.upload_file(str(part), DEMO_BUCKET, f"xapi/{part.relative_to(folder).as_posix()}")
    say(f"demo: uploaded {len(parts)} JSONL parts to s3://{DEMO_BUCKET}/xapi/")
    return f"s3://{DEMO_BUCKET}/xapi/**/*.jsonl*"


def backfill(instance: Instance, url: str, say: Callable[[str], None]):
    """Load the uploaded parts through an S3 backfill run, the path admins use, and wait for it."""
    import time

    from olap.core.models import BackfillRun
    from olap.plugins.backfill_s3 import service

    run = service.schedule(instance, url, {}, False, "olap demo")
    say(f"demo: backfill run {run.id} loading {run.files} files ({run.bytes_total} bytes)")
    session = instance.db.session
    while True:
        session.expire_all()
        run = session.get(BackfillRun, run.id)
        if run.status in ("completed", "failed", "cancelled"):
            break
        time.sleep(0.5)
    if run.status != "completed":
        raise OlapError(f"The demo backfill run {run.id} ended {run.status}: {run.error}")
    return run


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
    start_local_s3(say)
    load_data(instance, size, say)
    enable_flags(instance)
    return ensure_accounts(instance)
