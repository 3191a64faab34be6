"""The `olap sql` command: run custom SQL through the same guard and limits as the Custom tab."""

from __future__ import annotations

import json
import sys

import click
from sqlalchemy import select

from olap.core import audit
from olap.core.config import load_config
from olap.core.errors import NotFound, OlapError, UserInputError
from olap.core.instance import Instance
from olap.core.models import Project, Section
from olap.core.scope import Scope
from olap.plugins.custom.runner import query_limits, run_custom_sql

EXIT_REJECTED = 2
EXIT_FAILED = 1


def scope_from_ids(session, section_id: int | None, project_id: int | None) -> Scope:
    """Return the scope of exactly one of --section and --project, read from the metadata DB."""
    if (section_id is None) == (project_id is None):
        raise UserInputError("Give exactly one of --section ID or --project ID.")
    if section_id is not None:
        section = session.get(Section, section_id)
        if section is None:
            raise NotFound(f"Section {section_id} is not in the metadata database; import it with `olap import sections FILE`.")
        return Scope.section(section.id, section.project_id)
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(f"Project {project_id} is not in the metadata database; import it with `olap import projects FILE`.")
    section_ids = session.scalars(select(Section.id).where(Section.project_id == project.id)).all()
    return Scope.project(project.id, section_ids)


@click.command("sql")
@click.option("--section", "section_id", type=int, default=None, help="Section id the query is limited to.")
@click.option("--project", "project_id", type=int, default=None, help="Project id the query is limited to.")
@click.option("--show-sql", is_flag=True, help="Print the rewritten SQL that ran to stderr.")
@click.argument("sql")
def sql_command(section_id: int | None, project_id: int | None, show_sql: bool, sql: str) -> None:
    """Run one SELECT over the events view of a section or project and print its rows as JSON.

    The query goes through the guard of the Custom tab. A rejected query prints the reason
    to stderr and exits with status 2. A query that fails in ClickHouse exits with status 1.
    """
    try:
        instance = Instance(load_config())
        try:
            session = instance.db.session
            scope = scope_from_ids(session, section_id, project_id)
            result = run_custom_sql(instance.clickhouse, sql, scope, query_limits(instance.config.values), "cli")
            audit.record(session, "custom_sql.run", result.outcome, target=f"{scope.kind}:{scope.id}", detail=result.audit_detail(), actor="cli")
            session.commit()
        finally:
            instance.close()
    except OlapError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(err.exit_code)

    if show_sql and result.guarded is not None:
        click.echo(result.guarded.sql, err=True)
    if result.outcome == "rejected":
        click.echo(f"rejected: {result.error}", err=True)
        sys.exit(EXIT_REJECTED)
    if result.outcome != "ok":
        click.echo(f"error: {result.error}", err=True)
        sys.exit(EXIT_FAILED)
    click.echo(json.dumps(result.rows, default=str))
