"""Staged rollout of the declared flags: read stages, change them with an audit record, measure their reach.

The stages are written to the local flags file in embedded mode, and through Unleash's
admin API when UNLEASH_URL is set. Both are read back as client-features definitions.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from yggdrasil_engine.engine import UnleashEngine

from olap.core import audit
from olap.core.errors import ConfigError, UserInputError
from olap.core.flags import (
    CONTEXT_FIELDS,
    check_stage,
    default_flags_document,
    evaluation_context,
    read_flags_file,
    set_stage,
    stage_of,
    stages_for,
    strategies_for,
)
from olap.core.hookspecs import FeatureFlag
from olap.core.models import Project, Section
from olap.plugins.rollout.unleash_admin import UnleashAdmin

logger = logging.getLogger(__name__)


class FlagStore(Protocol):
    """Storage of flag stages: the flags file or an Unleash server."""

    kind: str

    def features(self) -> dict[str, dict[str, Any]]: ...

    def apply_stage(self, flag: FeatureFlag, stage: str) -> None: ...


class FileFlagStore:
    """The local flags file of the embedded mode, which running apps reload when it changes."""

    kind = "flags file"

    def __init__(self, path: Path, declared: dict[str, FeatureFlag]):
        self.path = path
        self.declared = declared

    def features(self) -> dict[str, dict[str, Any]]:
        document = read_flags_file(self.path) if self.path.exists() else default_flags_document(self.declared)
        return {feature["name"]: feature for feature in document["features"] if isinstance(feature, dict) and "name" in feature}

    def apply_stage(self, flag: FeatureFlag, stage: str) -> None:
        set_stage(self.path, self.declared, flag.name, stage)


class UnleashFlagStore:
    """An Unleash server's project and environment, written through the admin API."""

    kind = "Unleash"

    def __init__(self, admin: UnleashAdmin, declared: dict[str, FeatureFlag]):
        self.admin = admin
        self.declared = declared

    def features(self) -> dict[str, dict[str, Any]]:
        return self.admin.features(sorted(self.declared))

    def apply_stage(self, flag: FeatureFlag, stage: str) -> None:
        self.admin.apply_stage(flag, stage)


def open_flag_store(config, declared: dict[str, FeatureFlag]) -> FlagStore:
    """Return the Unleash store when UNLEASH_URL is set, else the flags file."""
    url = config["UNLEASH_URL"]
    if not url:
        return FileFlagStore(config.flags_file, declared)
    token = config.values.get("UNLEASH_ADMIN_TOKEN", "")
    if not token:
        raise ConfigError("UNLEASH_URL is set but UNLEASH_ADMIN_TOKEN is empty; stage changes need an Unleash admin API token.")
    admin = UnleashAdmin(url, token, project=config.values.get("UNLEASH_PROJECT") or "default", environment=config.values.get("UNLEASH_ENVIRONMENT") or "development")
    return UnleashFlagStore(admin, declared)


@dataclass(frozen=True)
class FlagStage:
    """A declared flag with the stage it is at and the stages it can move to."""

    flag: FeatureFlag
    stage: str
    stages: tuple[str, ...]
    feature: dict[str, Any] | None


def list_stages(store: FlagStore, declared: dict[str, FeatureFlag]) -> list[FlagStage]:
    features = store.features()
    return [FlagStage(flag, stage_of(features.get(name)), stages_for(flag), features.get(name)) for name, flag in sorted(declared.items())]


def declared_flag(declared: dict[str, FeatureFlag], name: str) -> FeatureFlag:
    if name not in declared:
        raise UserInputError(f"Unknown flag {name!r}; declared flags: {', '.join(sorted(declared))}.")
    return declared[name]


def previous_stage(flag: FeatureFlag, current: str) -> str:
    """Return the stage before `current`; a hand-edited or unknown flag rolls back to off."""
    stages = stages_for(flag)
    if current not in stages or current == "off":
        return "off"
    return stages[stages.index(current) - 1]


def change_stage(store: FlagStore, session, declared: dict[str, FeatureFlag], name: str, stage: str, *, actor: str | None = None) -> tuple[str, str]:
    """Move a flag to `stage`, add an audit record to `session` (committed here) and return (previous, new)."""
    flag = declared_flag(declared, name)
    check_stage(flag, stage)
    previous = stage_of(store.features().get(name))
    try:
        store.apply_stage(flag, stage)
    except Exception as err:
        audit.record(session, "flag.stage", "failed", target=name, detail={"from": previous, "to": stage, "store": store.kind, "error": str(err)[:500]}, actor=actor)
        session.commit()
        raise
    audit.record(session, "flag.stage", "succeeded", target=name, detail={"from": previous, "to": stage, "store": store.kind}, actor=actor)
    session.commit()
    logger.info("flag %s: stage %s -> %s in the %s", name, previous, stage, store.kind)
    return previous, stage


def rollback(store: FlagStore, session, declared: dict[str, FeatureFlag], name: str, *, actor: str | None = None) -> tuple[str, str]:
    """Move a flag one stage back (full → fifty_percent → five_percent → internal_only → off)."""
    flag = declared_flag(declared, name)
    current = stage_of(store.features().get(name))
    return change_stage(store, session, declared, name, previous_stage(flag, current), actor=actor)


@dataclass(frozen=True)
class Reach:
    """How many sections or projects of the metadata database a flag is on for."""

    on: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.on / self.total if self.total else 0.0


def reach(session, flag: FeatureFlag, feature: dict[str, Any] | None) -> Reach | None:
    """Count the sections (or projects) a flag is on for, as seen by a user who is not internal.

    Evaluates the definition read from the store with Unleash's own engine, so the count
    is right even before the app's client polls the change. None for global flags.
    """
    if flag.scope == "global":
        return None
    model = Section if flag.scope == "section" else Project
    ids = list(session.scalars(select(model.id)))
    if feature is None:
        return Reach(0, len(ids))
    engine = UnleashEngine()
    engine.take_state(json.dumps({"version": 1, "features": [feature]}))
    keyword = "section_id" if flag.scope == "section" else "project_id"
    on = sum(1 for identifier in ids if engine.check_enabled(flag.name, evaluation_context(**{keyword: identifier})).is_enabled)
    return Reach(on, len(ids))


def import_document(declared: dict[str, FeatureFlag], stages: dict[str, str], project: str = "default", environment: str = "development") -> dict[str, Any]:
    """Return an Unleash import document (Admin → Import) of every declared flag at its given stage."""
    flags = sorted(declared.values(), key=lambda flag: flag.name)
    strategies = []
    for flag in flags:
        for order, strategy in enumerate(strategies_for(flag, stages.get(flag.name, "off"))):
            strategies.append({**strategy, "featureName": flag.name, "sortOrder": order})
    return {
        "project": project,
        "environment": environment,
        "data": {
            "features": [{"name": flag.name, "description": flag.description, "type": "release", "impressionData": False} for flag in flags],
            "featureStrategies": strategies,
            "featureEnvironments": [
                {"name": flag.name, "featureName": flag.name, "environment": environment, "enabled": stages.get(flag.name, "off") != "off", "variants": []} for flag in flags
            ],
            "contextFields": [dict(field) for field in CONTEXT_FIELDS],
            "featureTags": [],
            "tagTypes": [],
            "segments": [],
            "dependencies": [],
        },
    }


def exportable_stages(entries: list[FlagStage]) -> dict[str, str]:
    """Return each flag's stage for export; a hand-edited or unknown flag exports at its declared default."""
    stages = {}
    for entry in entries:
        if entry.stage in entry.stages:
            stages[entry.flag.name] = entry.stage
        else:
            stages[entry.flag.name] = "full" if entry.flag.default else "off"
    return stages
