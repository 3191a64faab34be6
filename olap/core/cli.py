"""The `olap` command: serve, worker, migrate, users and import."""

from __future__ import annotations

import json
import logging
import secrets
import sys
from pathlib import Path

import click

from olap.core.config import load_config
from olap.core.errors import ConfigError, OlapError
from olap.core.importer import KINDS, import_file
from olap.core.instance import Instance
from olap.core.migrations import Migrator

logger = logging.getLogger(__name__)


class OlapGroup(click.Group):
    """A click group that prints olap errors as one sentence and exits with their code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except OlapError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(err.exit_code)


def open_instance() -> Instance:
    config = load_config()
    from olap.core import telemetry

    telemetry.configure_logging(config["LOG_LEVEL"], config["LOG_FORMAT"])
    return Instance(config)


@click.group(cls=OlapGroup)
@click.version_option(package_name="olap")
def main() -> None:
    """olap: learning analytics on ClickHouse."""


@main.command()
@click.option("--host", default=None, help="Address to listen on (default OLAP_HOST).")
@click.option("--port", type=int, default=None, help="Port to listen on (default OLAP_PORT).")
def serve(host: str | None, port: int | None) -> None:
    """Serve the web app (development server; use gunicorn with wsgi:app in production)."""
    from olap.core.app import create_app

    app = create_app()
    config = app.extensions["olap"].config
    host = host or config["OLAP_HOST"]
    port = port or config["OLAP_PORT"]
    click.echo(f"olap: serving on http://{host}:{port}/ (Ctrl+C to stop)")
    try:
        app.run(host=host, port=port, threaded=True, use_reloader=False)
    finally:
        app.extensions["olap"].close()


@main.command()
@click.option("--events", type=click.IntRange(min=1000), default=500_000, show_default=True, help="Statements to generate.")
@click.option("--students", type=click.IntRange(min=1), default=300, show_default=True, help="Students across all sections.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the generated data.")
@click.option("--host", default=None, help="Address to listen on (default OLAP_HOST).")
@click.option("--port", type=int, default=None, help="Port to listen on (default OLAP_PORT).")
@click.option("--no-serve", is_flag=True, help="Prepare the instance and exit without serving.")
def demo(events: int, students: int, seed: int, host: str | None, port: int | None, no_serve: bool) -> None:
    """Create a demo instance in OLAP_HOME: migrate, generate and load data, add accounts, enable flags, serve."""
    from olap.core.app import create_app
    from olap.core.demo import DemoSize, prepare

    app = create_app()
    instance = app.extensions["olap"]
    try:
        accounts = prepare(instance, DemoSize(students=students, events=events, seed=seed), click.echo)
        host = host or instance.config["OLAP_HOST"]
        port = port or instance.config["OLAP_PORT"]
        click.echo(f"demo: open http://{host}:{port}/ and sign in with one of:")
        for email, password in accounts.items():
            click.echo(f"  {email:<24} {password}")
        if not no_serve:
            app.run(host=host, port=port, threaded=True, use_reloader=False)
    finally:
        instance.close()


@main.command()
@click.option("--burst", is_flag=True, help="Run the queued jobs, then exit.")
def worker(burst: bool) -> None:
    """Run background jobs from Redis (production; the embedded mode runs them inside `olap serve`)."""
    from olap.core.app import create_app

    config = load_config()
    if not config["REDIS_URL"]:
        raise ConfigError("REDIS_URL is empty; `olap worker` needs a Redis server, while the embedded mode runs jobs inside `olap serve`.")
    if config.embedded_clickhouse:
        raise ConfigError("CLICKHOUSE_URL is an embedded chdb:// folder, which only one process can open; jobs run inside `olap serve`. Use a ClickHouse server to run separate workers.")
    app = create_app(start_workers=False)
    jobs = app.extensions["olap"].jobs
    jobs.check_reachable()
    worker_process = jobs.worker(thread=False)
    click.echo(f"olap: worker {worker_process.name} listening on queue {jobs.queue.name}")
    worker_process.work(burst=burst)


@main.group()
def migrate() -> None:
    """Apply, revert or show migrations of ClickHouse and the metadata database."""


@migrate.command("up")
@click.option("--clickhouse-only", is_flag=True, help="Leave the metadata database alone.")
def migrate_up(clickhouse_only: bool) -> None:
    """Apply every pending migration."""
    instance = open_instance()
    try:
        if not clickhouse_only:
            instance.db.upgrade("head")
            click.echo("metadata database: at head")
        migrator = Migrator(instance.config.clickhouse_admin, cluster=instance.config["CLICKHOUSE_CLUSTER"])
        applied = migrator.up()
        migrator.close()
        for migration in applied:
            click.echo(f"clickhouse: applied {migration.version:04d}_{migration.name}")
        if not applied:
            click.echo("clickhouse: nothing to apply")
    finally:
        instance.close()


@migrate.command("down")
@click.option("--steps", type=click.IntRange(min=1), default=1, show_default=True, help="How many ClickHouse migrations to revert.")
@click.option("--metadata-revision", default=None, help="Also revert the metadata database to this Alembic revision (for example base).")
@click.confirmation_option(prompt="Reverting drops tables and their data. Continue?")
def migrate_down(steps: int, metadata_revision: str | None) -> None:
    """Revert the newest ClickHouse migrations (and optionally the metadata schema)."""
    instance = open_instance()
    try:
        migrator = Migrator(instance.config.clickhouse_admin, cluster=instance.config["CLICKHOUSE_CLUSTER"])
        for migration in migrator.down(steps):
            click.echo(f"clickhouse: reverted {migration.version:04d}_{migration.name}")
        migrator.close()
        if metadata_revision:
            instance.db.downgrade(metadata_revision)
            click.echo(f"metadata database: at {metadata_revision}")
    finally:
        instance.close()


@migrate.command("status")
def migrate_status() -> None:
    """Show which migrations are applied."""
    instance = open_instance()
    try:
        current, head = instance.db.revision_status()
        click.echo(f"metadata database: revision {current or 'none'} (head {head}){'' if current == head else '  PENDING'}")
        migrator = Migrator(instance.config.clickhouse_admin, cluster=instance.config["CLICKHOUSE_CLUSTER"])
        for status in migrator.status():
            state = f"applied {status.applied_at}" if status.applied else "pending"
            click.echo(f"clickhouse {status.version:04d}_{status.name}: {state}")
        migrator.close()
    finally:
        instance.close()


@main.group()
def users() -> None:
    """Manage user accounts."""


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "instructor", "author"]), required=True, help="admin sees everything; instructors see their sections; authors their projects.")
@click.option("--section", "section_ids", type=int, multiple=True, help="Section id an instructor teaches (repeatable).")
@click.option("--project", "project_ids", type=int, multiple=True, help="Project id an author writes (repeatable).")
@click.option("--password", envvar="NEW_USER_PASSWORD", default=None, help="Password; omitted: a random one is generated and printed.")
@click.option("--internal", is_flag=True, help="Mark as an internal user, who sees flags staged for internal users.")
def users_create(email: str, role: str, section_ids: tuple[int, ...], project_ids: tuple[int, ...], password: str | None, internal: bool) -> None:
    """Create a user with a role."""
    from olap.core.auth import create_user
    from olap.core.audit import record

    generated = password is None
    password = password or secrets.token_urlsafe(12)
    instance = open_instance()
    try:
        session = instance.db.session
        user = create_user(session, email, password, role, section_ids, project_ids, internal=internal)
        record(session, "user.create", "succeeded", target=user.email, detail={"role": role, "sections": list(section_ids), "projects": list(project_ids)}, actor="cli")
        session.commit()
        click.echo(f"created {role} {user.email}" + (f" with password {password}" if generated else ""))
    finally:
        instance.close()


@users.command("set-password")
@click.argument("email")
@click.option("--password", envvar="NEW_USER_PASSWORD", default=None, help="New password; omitted: a random one is generated and printed.")
def users_set_password(email: str, password: str | None) -> None:
    """Set a new password for an existing user."""
    from werkzeug.security import generate_password_hash
    from sqlalchemy import func, select

    from olap.core.audit import record
    from olap.core.auth import MIN_PASSWORD_LENGTH, normalise_email
    from olap.core.errors import NotFound, UserInputError
    from olap.core.models import User

    generated = password is None
    password = password or secrets.token_urlsafe(12)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserInputError(f"The password is too short; use at least {MIN_PASSWORD_LENGTH} characters.")
    instance = open_instance()
    try:
        session = instance.db.session
        user = session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))
        if user is None:
            raise NotFound(f"No user has the email {email}; list or create users with `olap users create`.")
        user.password_hash = generate_password_hash(password)
        record(session, "user.set_password", "succeeded", target=user.email, actor="cli")
        session.commit()
        click.echo(f"password of {user.email} changed" + (f" to {password}" if generated else ""))
    finally:
        instance.close()


@main.command("import")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("path", type=click.Path(path_type=Path))
def import_command(kind: str, path: Path) -> None:
    """Import projects, sections or resources from a JSON or CSV file (idempotent upserts)."""
    instance = open_instance()
    try:
        summary = import_file(instance.db.session, kind, path)
        click.echo(json.dumps(summary.as_dict()))
    finally:
        instance.close()


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--progress/--no-progress", default=None, help="Show a progress bar on stderr (default: when stderr is a terminal).")
def ingest(inputs: tuple[str, ...], progress: bool | None) -> None:
    """Ingest JSONL statements from files, folders, s3://bucket/key URLs or '-' (stdin); .gz too.

    Prints a JSON summary. Rerunning the same input changes no count.
    """
    from olap.ingest import IngestSummary
    from olap.uploader.files import ingest_source, resolve_sources

    instance = open_instance()
    try:
        sources = resolve_sources(list(inputs))
        total = IngestSummary()
        show = sys.stderr.isatty() if progress is None else progress
        with click.progressbar(length=sum(source.size for source in sources), label="ingesting", file=sys.stderr, show_pos=True) if show else _NoBar() as bar:
            for source in sources:
                total.add(ingest_source(instance.clickhouse_admin, source, bar.update, instance.config["XAPI_MAX_LINE_BYTES"]))
        click.echo(json.dumps({
            "files": len(sources),
            "lines": total.lines,
            "inserted": total.inserted,
            "duplicates": total.duplicates,
            "rejected": total.rejected,
            "untimezoned": total.untimezoned,
            "reject_reasons": total.reasons,
        }))
    finally:
        instance.close()


class _NoBar:
    """Stands in for click's progress bar when none is shown."""

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        return False

    def update(self, _amount: int) -> None:
        pass


@main.group()
def producers() -> None:
    """Manage the API keys of systems that send xAPI statements."""


@producers.command("create")
@click.argument("name")
def producers_create(name: str) -> None:
    """Create a producer and print its API key (shown only once)."""
    from olap.core.audit import record
    from olap.uploader.producers import create_producer

    instance = open_instance()
    try:
        session = instance.db.session
        producer, key = create_producer(session, name)
        record(session, "producer.create", "succeeded", target=producer.name, actor="cli")
        session.commit()
        click.echo(f"created producer {producer.name}; its API key (shown only once): {key}")
    finally:
        instance.close()


@producers.command("revoke")
@click.argument("name")
def producers_revoke(name: str) -> None:
    """Revoke a producer's API key."""
    from olap.core.audit import record
    from olap.uploader.producers import revoke_producer

    instance = open_instance()
    try:
        session = instance.db.session
        producer = revoke_producer(session, name)
        record(session, "producer.revoke", "succeeded", target=producer.name, actor="cli")
        session.commit()
        click.echo(f"revoked producer {producer.name}")
    finally:
        instance.close()


def _register_plugin_commands() -> None:
    from olap.generator.cli import generate_command
    from olap.plugins.backfill_s3.cli import backfill_command
    from olap.plugins.custom.cli import sql_command
    from olap.plugins.rollout.cli import flags_command

    main.add_command(generate_command)
    main.add_command(backfill_command)
    main.add_command(sql_command)
    main.add_command(flags_command)
    from olap.plugins.backfill_inventory.cli import inventory_command, inventory_recover_command

    backfill_command.add_command(inventory_command)
    backfill_command.add_command(inventory_recover_command)


_register_plugin_commands()
