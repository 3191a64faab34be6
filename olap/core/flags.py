"""Feature flags behind one question: `enabled(flag, section_id=…, project_id=…)`.

UnleashClient evaluates every flag. In embedded mode it is bootstrapped from a local
flags file in Unleash's client-features format and never polls; with UNLEASH_URL it polls
that server. The flags file is written from the plugins' declared defaults when missing.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from UnleashClient import UnleashClient
from UnleashClient.cache import FileCache

from olap.core.errors import ConfigError
from olap.core.hookspecs import FeatureFlag

logger = logging.getLogger(__name__)

OFFLINE_URL = "http://127.0.0.1:9/unused"  # never contacted: the offline client only reads its cache


def feature_for(flag: FeatureFlag, enabled: bool) -> dict[str, Any]:
    """Return the Unleash feature definition of a flag that is fully on or off."""
    return {
        "name": flag.name,
        "description": flag.description,
        "enabled": enabled,
        "strategies": [{"name": "default", "parameters": {}}],
        "impressionData": False,
    }


def default_flags_document(flags: dict[str, FeatureFlag]) -> dict[str, Any]:
    """Return a flags file holding every declared flag at its declared default."""
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
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(document, indent=2) + "\n")
    temporary.replace(path)


def set_flag(path: Path, flags: dict[str, FeatureFlag], name: str, enabled: bool) -> None:
    """Switch one declared flag fully on or off in the local flags file."""
    if name not in flags:
        raise ConfigError(f"Unknown flag {name!r}; declared flags: {', '.join(sorted(flags))}.")
    document = read_flags_file(path) if path.exists() else default_flags_document(flags)
    features = [feature for feature in document["features"] if feature.get("name") != name]
    features.append(feature_for(flags[name], enabled))
    document["features"] = sorted(features, key=lambda feature: feature["name"])
    write_flags_file(path, document)


class Flags:
    """Answers whether a flag is on for a user, a section or a project."""

    def __init__(self, declared: dict[str, FeatureFlag], flags_file: Path, unleash_url: str = "", unleash_token: str = "", app_name: str = "olap", cache_dir: Path | None = None):
        self.declared = declared
        self.flags_file = flags_file
        self.unleash_url = unleash_url
        self.unleash_token = unleash_token
        self.app_name = app_name
        self.cache_dir = cache_dir
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
        cache = FileCache(self.app_name, directory=str(self.cache_dir) if self.cache_dir else None)
        cache.bootstrap_from_dict(document)
        client = UnleashClient(OFFLINE_URL, self.app_name, disable_metrics=True, disable_registration=True, cache=cache, refresh_interval=3600)
        client.initialize_client(fetch_toggles=False)
        if self._client is not None:
            self._client.destroy()
        self._client, self._loaded_mtime = client, mtime
        return client

    def _server_client(self) -> UnleashClient:
        if self._client is None:
            headers = {"Authorization": self.unleash_token} if self.unleash_token else {}
            client = UnleashClient(self.unleash_url, self.app_name, custom_headers=headers, disable_metrics=True, cache_directory=str(self.cache_dir) if self.cache_dir else None)
            client.initialize_client()
            self._client = client
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
        context: dict[str, Any] = {"properties": {}}
        if user is not None and getattr(user, "is_authenticated", False):
            context["userId"] = str(user.id)
            context["properties"]["internal"] = "true" if getattr(user, "is_internal", False) else "false"
        if section_id is not None:
            context["sectionId"] = str(section_id)
            context["properties"]["sectionId"] = str(section_id)
        if project_id is not None:
            context["projectId"] = str(project_id)
            context["properties"]["projectId"] = str(project_id)
        return bool(self.client().is_enabled(name, context, fallback_function=lambda *_: False))

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.destroy()
                self._client = None
