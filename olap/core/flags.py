"""Feature flags behind one question: `enabled(flag, user=…, section_id=…, project_id=…)`.

UnleashClient evaluates every flag. In embedded mode it is bootstrapped from a local
flags file in Unleash's client-features format and never polls. With UNLEASH_URL it polls
that server and keeps the last features it fetched in a file cache, so a restart while
the server is down still serves them. When nothing is known about a flag (no server, no
cache), only `clickhouse-olap` is on, and only for admins.

A flag's rollout stage is a fixed set of Unleash strategies (see `strategies_for`), so
the same stages work in the flags file and on an Unleash server.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from UnleashClient import UnleashClient
from UnleashClient.cache import BaseCache
from UnleashClient.utils import InstanceAllowType

from olap.core.errors import ConfigError, UserInputError
from olap.core.hookspecs import FeatureFlag

logger = logging.getLogger(__name__)

OFFLINE_URL = "http://127.0.0.1:9/unused"  # never contacted: the offline client only reads its cache

STAGES = ("off", "internal_only", "five_percent", "fifty_percent", "full")
GLOBAL_STAGES = ("off", "internal_only", "full")
ROLLOUT_PERCENT = {"five_percent": 5, "fifty_percent": 50, "full": 100}
# Context field each scope is sticky on; the same id always lands on the same side.
STICKINESS = {"section": "sectionId", "project": "projectId", "global": "default"}
# The only flag on when nothing is known: admins keep their console during an outage.
ADMIN_FALLBACK_FLAGS = frozenset({"clickhouse-olap"})
CONTEXT_FIELDS = (
    {"name": "sectionId", "description": "Section id; section-scoped flags are sticky on it.", "stickiness": True, "legalValues": []},
    {"name": "projectId", "description": "Project id; project-scoped flags are sticky on it.", "stickiness": True, "legalValues": []},
    {"name": "internal", "description": "true for internal users, who see flags at stage internal_only.", "stickiness": False, "legalValues": [{"value": "true"}, {"value": "false"}]},
)
INTERNAL_CONSTRAINT = {"contextName": "internal", "operator": "IN", "values": ["true"], "caseInsensitive": False, "inverted": False}


def stages_for(flag: FeatureFlag) -> tuple[str, ...]:
    """Return the stages a flag can be put in: global flags skip the percentages."""
    return GLOBAL_STAGES if flag.scope == "global" else STAGES


def check_stage(flag: FeatureFlag, stage: str) -> None:
    if stage not in stages_for(flag):
        raise UserInputError(f"Stage {stage!r} is not available for the {flag.scope} flag {flag.name}; use one of: {', '.join(stages_for(flag))}.")


def strategies_for(flag: FeatureFlag, stage: str) -> list[dict[str, Any]]:
    """Return the Unleash strategies of a stage; Unleash turns a flag on when any strategy matches.

    Internal users keep the flag at every stage after internal_only. The rollout share
    uses `groupId` = flag name, so raising 5 % to 50 % keeps the first 5 % on.
    """
    check_stage(flag, stage)
    if stage == "off":
        return []
    internal = {"name": "flexibleRollout", "parameters": _rollout_parameters(flag, 100), "constraints": [dict(INTERNAL_CONSTRAINT)]}
    if stage == "internal_only":
        return [internal]
    if flag.scope == "global":
        return [{"name": "default", "parameters": {}, "constraints": []}]
    share = {"name": "flexibleRollout", "parameters": _rollout_parameters(flag, ROLLOUT_PERCENT[stage]), "constraints": []}
    return [share] if stage == "full" else [internal, share]


def _rollout_parameters(flag: FeatureFlag, percent: int) -> dict[str, str]:
    return {"rollout": str(percent), "stickiness": STICKINESS[flag.scope], "groupId": flag.name}


def feature_for_stage(flag: FeatureFlag, stage: str) -> dict[str, Any]:
    """Return the client-features definition of a flag at a stage."""
    strategies = strategies_for(flag, stage)
    return {
        "name": flag.name,
        "description": flag.description,
        "enabled": stage != "off",
        # Unleash treats an enabled flag without strategies as on for everyone, so "off"
        # keeps one strategy and relies on enabled=false.
        "strategies": strategies or [{"name": "default", "parameters": {}, "constraints": []}],
        "impressionData": False,
    }


def feature_for(flag: FeatureFlag, enabled: bool) -> dict[str, Any]:
    """Return the definition of a flag that is fully on (stage full) or off."""
    return feature_for_stage(flag, "full" if enabled else "off")


def stage_of(feature: dict[str, Any] | None) -> str:
    """Return the stage whose strategies a feature definition has, or "custom" when it has none of them.

    "custom" means someone edited the flag by hand, for example in the Unleash UI.
    """
    if feature is None:
        return "unknown"
    if not feature.get("enabled"):
        return "off"
    internal_only, shares = False, []
    for strategy in feature.get("strategies") or []:
        constraints = strategy.get("constraints") or []
        if strategy.get("name") == "default" and not constraints:
            shares.append(100)
        elif strategy.get("name") == "flexibleRollout" and _is_internal_constraint(constraints):
            internal_only = str(strategy.get("parameters", {}).get("rollout")) == "100" or internal_only
        elif strategy.get("name") == "flexibleRollout" and not constraints:
            shares.append(_percent(strategy.get("parameters", {}).get("rollout")))
        else:
            return "custom"
    by_percent = {percent: stage for stage, percent in ROLLOUT_PERCENT.items()}
    if not shares:
        return "internal_only" if internal_only else "custom"
    if len(shares) == 1 and shares[0] in by_percent:
        return by_percent[shares[0]]
    return "custom"


def _is_internal_constraint(constraints: list[dict[str, Any]]) -> bool:
    if len(constraints) != 1:
        return False
    constraint = constraints[0]
    return constraint.get("contextName") == "internal" and constraint.get("operator") == "IN" and constraint.get("values") == ["true"] and not constraint.get("inverted")


def _percent(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def default_flags_document(flags: dict[str, FeatureFlag]) -> dict[str, Any]:
    """Return a flags file holding every declared flag at its declared default (full or off)."""
    return {"version": 1, "features": [feature_for(flag, flag.default) for flag in sorted(flags.values(), key=lambda f: f.name)]}


def read_flags_file(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ConfigError(f"Flags file {path} cannot be read ({err}); fix or delete it to recreate it from the defaults.") from err
    if not isinstance(document, dict) or not isinstance(document.get("features"), list):
        raise ConfigError(f"Flags file {path} has no 'features' list; fix or delete it to recreate it from the defaults.")
    return document


def write_flags_file(path: Path, document: dict[str, Any]) -> None:
    """Replace the flags file in one rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(document, indent=2) + "\n")
    temporary.replace(path)


def set_stage(path: Path, flags: dict[str, FeatureFlag], name: str, stage: str) -> str:
    """Put one declared flag at `stage` in the local flags file and return its previous stage."""
    if name not in flags:
        raise UserInputError(f"Unknown flag {name!r}; declared flags: {', '.join(sorted(flags))}.")
    check_stage(flags[name], stage)
    document = read_flags_file(path) if path.exists() else default_flags_document(flags)
    previous = stage_of(next((feature for feature in document["features"] if feature.get("name") == name), None))
    features = [feature for feature in document["features"] if feature.get("name") != name]
    features.append(feature_for_stage(flags[name], stage))
    document["features"] = sorted(features, key=lambda feature: feature["name"])
    write_flags_file(path, document)
    return previous


def set_flag(path: Path, flags: dict[str, FeatureFlag], name: str, enabled: bool) -> None:
    """Switch one declared flag fully on (stage full) or off in the local flags file."""
    set_stage(path, flags, name, "full" if enabled else "off")


class MemoryCache(BaseCache):
    """An UnleashClient cache held in memory, for the offline client of the flags file."""

    def __init__(self, document: dict[str, Any]):
        from UnleashClient.constants import FEATURES_URL

        self._values: dict[str, Any] = {FEATURES_URL: json.dumps(document)}
        self.bootstrapped = True

    def set(self, key: str, value: Any) -> None:
        self._values[key] = value

    def mset(self, data: dict) -> None:
        self._values.update(data)

    def get(self, key: str, default: Any = None) -> Any:
        return self._values.get(key, default)

    def exists(self, key: str) -> bool:
        return key in self._values

    def destroy(self) -> None:
        self._values.clear()


def evaluation_context(user: Any = None, section_id: int | None = None, project_id: int | None = None) -> dict[str, Any]:
    """Return the Unleash context of a check: userId, and sectionId, projectId and internal as properties."""
    properties: dict[str, str] = {"internal": "false"}
    context: dict[str, Any] = {"properties": properties}
    if user is not None and getattr(user, "is_authenticated", False):
        context["userId"] = str(user.id)
        properties["internal"] = "true" if getattr(user, "is_internal", False) else "false"
    if section_id is not None:
        properties["sectionId"] = str(section_id)
    if project_id is not None:
        properties["projectId"] = str(project_id)
    return context


class Flags:
    """Feature-flag evaluation for a user, a section or a project."""

    def __init__(
        self,
        declared: dict[str, FeatureFlag],
        flags_file: Path,
        unleash_url: str = "",
        unleash_token: str = "",
        app_name: str = "olap",
        cache_dir: Path | None = None,
        refresh_interval: int = 15,
        request_timeout: int = 5,
    ):
        self.declared = declared
        self.flags_file = flags_file
        self.unleash_url = unleash_url
        self.unleash_token = unleash_token
        self.app_name = app_name
        self.cache_dir = cache_dir
        self.refresh_interval = refresh_interval
        self.request_timeout = request_timeout
        self._client: UnleashClient | None = None
        self._loaded_mtime: float | None = None
        self._lock = threading.Lock()
        self._warned: set[str] = set()

    def _offline_client(self) -> UnleashClient:
        if not self.flags_file.exists():
            write_flags_file(self.flags_file, default_flags_document(self.declared))
            logger.info("flags: wrote defaults of %d declared flags to %s", len(self.declared), self.flags_file)
        mtime = self.flags_file.stat().st_mtime
        if self._client is not None and mtime == self._loaded_mtime:
            return self._client
        document = read_flags_file(self.flags_file)
        client = UnleashClient(
            OFFLINE_URL,
            self.app_name,
            disable_metrics=True,
            disable_registration=True,
            cache=MemoryCache(document),
            refresh_interval=3600,
            multiple_instance_mode=InstanceAllowType.SILENTLY_ALLOW,
        )
        client.initialize_client(fetch_toggles=False)
        if self._client is not None:
            self._client.destroy()
        self._client, self._loaded_mtime = client, mtime
        return client

    def _server_client(self) -> UnleashClient:
        if self._client is None:
            headers = {"Authorization": self.unleash_token} if self.unleash_token else {}
            client = UnleashClient(
                self.unleash_url,
                self.app_name,
                custom_headers=headers,
                refresh_interval=self.refresh_interval,
                request_timeout=self.request_timeout,
                request_retries=1,
                disable_metrics=True,
                cache_directory=str(self.cache_dir) if self.cache_dir else None,
                multiple_instance_mode=InstanceAllowType.SILENTLY_ALLOW,
            )
            # A server that cannot be reached is logged by UnleashClient and leaves the
            # client on its file cache; it keeps polling in the background.
            client.initialize_client()
            self._client = client
            logger.info("flags: polling %s every %d s", self.unleash_url, self.refresh_interval)
        return self._client

    def client(self) -> UnleashClient:
        with self._lock:
            return self._server_client() if self.unleash_url else self._offline_client()

    def enabled(self, name: str, *, user: Any = None, section_id: int | None = None, project_id: int | None = None) -> bool:
        """Return whether flag `name` is on for this user, section and project."""
        if name not in self.declared:
            if name not in self._warned:
                logger.warning("flags: %s is not declared by any plugin; treating it as off", name)
                self._warned.add(name)
            return False
        context = evaluation_context(user, section_id, project_id)

        def fallback(_name: str, _context: dict) -> bool:
            # Reached only when the client holds no definition of the flag at all.
            return name in ADMIN_FALLBACK_FLAGS and bool(getattr(user, "is_admin", False))

        return bool(self.client().is_enabled(name, context, fallback_function=fallback))

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.destroy()
                self._client = None
