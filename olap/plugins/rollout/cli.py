"""`olap flags list | stage NAME STAGE | rollback NAME | export`: staged rollout from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click

from olap.core.flags import STAGES


@click.group("flags")
def flags_command() -> None:
    """Show and change the rollout stage of feature flags (flags file, or Unleash when UNLEASH_URL is set)."""


def _open():
    from olap.core.cli import open_instance
    from olap.plugins.rollout.service import open_flag_store

    instance = open_instance()
    return instance, open_flag_store(instance.config, instance.registry.flags)


@flags_command.command("list")
def flags_list() -> None:
    """List every declared flag with its scope, stage and how many sections or projects it is on for."""
    from olap.plugins.rollout.service import list_stages, reach

    instance, store = _open()
    try:
        session = instance.db.session
        click.echo(f"{'flag':<36} {'scope':<8} {'stage':<14} on")
        for entry in list_stages(store, instance.registry.flags):
            counted = reach(session, entry.flag, entry.feature)
            if counted is not None:
                share = f"{counted.on}/{counted.total} ({counted.percent:.1f} %)"
            elif entry.stage == "full":
                share = "all users"
            else:
                share = "-"
            click.echo(f"{entry.flag.name:<36} {entry.flag.scope:<8} {entry.stage:<14} {share}")
    finally:
        instance.close()


@flags_command.command("stage")
@click.argument("name")
@click.argument("stage", type=click.Choice(STAGES))
def flags_stage(name: str, stage: str) -> None:
    """Put flag NAME at STAGE (global flags: off, internal_only or full). The change is audited."""
    from olap.plugins.rollout.service import change_stage

    instance, store = _open()
    try:
        previous, current = change_stage(store, instance.db.session, instance.registry.flags, name, stage, actor="cli")
        click.echo(f"flag {name}: {previous} -> {current} ({store.kind})")
    finally:
        instance.close()


@flags_command.command("rollback")
@click.argument("name")
def flags_rollback(name: str) -> None:
    """Move flag NAME one stage back: full -> fifty_percent -> five_percent -> internal_only -> off."""
    from olap.plugins.rollout.service import rollback

    instance, store = _open()
    try:
        previous, current = rollback(store, instance.db.session, instance.registry.flags, name, actor="cli")
        click.echo(f"flag {name}: {previous} -> {current} ({store.kind})")
    finally:
        instance.close()


@flags_command.command("export")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="File to write; default: standard output.")
@click.option("--project", default=None, help="Unleash project in the document (default UNLEASH_PROJECT, else 'default').")
@click.option("--environment", default=None, help="Unleash environment in the document (default UNLEASH_ENVIRONMENT, else 'development').")
def flags_export(output: Path | None, project: str | None, environment: str | None) -> None:
    """Print an Unleash import document of every declared flag at its current stage."""
    from olap.plugins.rollout.service import exportable_stages, import_document, list_stages

    instance, store = _open()
    try:
        stages = exportable_stages(list_stages(store, instance.registry.flags))
        values = instance.config.values
        document = import_document(
            instance.registry.flags,
            stages,
            project=project or values.get("UNLEASH_PROJECT") or "default",
            environment=environment or values.get("UNLEASH_ENVIRONMENT") or "development",
        )
        text = json.dumps(document, indent=2) + "\n"
        if output is None:
            click.echo(text, nl=False)
        else:
            output.write_text(text)
            click.echo(f"flags: wrote {len(document['data']['features'])} flags to {output}", err=True)
    finally:
        instance.close()
