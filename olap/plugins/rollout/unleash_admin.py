"""Unleash's admin API, as far as staged rollout needs it: context fields, flags and their strategies.

Paths are those of Unleash 5 and later (checked against unleash-server 7.5.1):
`/api/admin/context`, `/api/admin/projects/{project}/features/…` and
`/api/admin/features-batch/export`. The batch import endpoint is not used because it
rejects admin tokens.
"""

from __future__ import annotations

import logging
from typing import Any

import requests

from olap.core.errors import OlapError
from olap.core.flags import CONTEXT_FIELDS, strategies_for
from olap.core.hookspecs import FeatureFlag

logger = logging.getLogger(__name__)


class FlagServiceError(OlapError):
    """The Unleash server rejected a request, or could not be reached."""

    status = 502
    exit_code = 1


class UnleashAdmin:
    """A client of one Unleash project and environment, authenticated with an admin API token."""

    def __init__(self, api_url: str, admin_token: str, project: str = "default", environment: str = "development", timeout: float = 10):
        self.api_url = api_url.rstrip("/")
        self.project = project
        self.environment = environment
        self.timeout = timeout
        self._session = requests.Session()
        self._session.headers.update({"Authorization": admin_token, "Content-Type": "application/json"})

    def request(self, method: str, path: str, body: Any = None, expected: tuple[int, ...] = (200,)) -> requests.Response:
        url = f"{self.api_url}{path}"
        try:
            response = self._session.request(method, url, json=body, timeout=self.timeout)
        except requests.RequestException as err:
            raise FlagServiceError(f"Unleash at {self.api_url} cannot be reached ({err.__class__.__name__}); check UNLEASH_URL and that the server runs.") from err
        if response.status_code not in expected:
            raise FlagServiceError(f"Unleash returned HTTP {response.status_code} for {method} {path}: {response.text[:300]}")
        return response

    def _feature_path(self, name: str) -> str:
        return f"/admin/projects/{self.project}/features/{name}"

    def ensure_context_fields(self) -> None:
        """Create the context fields the stages use (sectionId, projectId, internal) when missing."""
        existing = {field["name"] for field in self.request("GET", "/admin/context").json()}
        for field in CONTEXT_FIELDS:
            if field["name"] not in existing:
                self.request("POST", "/admin/context", field, expected=(200, 201))
                logger.info("unleash: created context field %s", field["name"])

    def ensure_feature(self, flag: FeatureFlag) -> None:
        """Create the flag in the project when Unleash does not have it yet."""
        response = self.request("GET", self._feature_path(flag.name), expected=(200, 404))
        if response.status_code == 404:
            body = {"name": flag.name, "description": flag.description, "type": "release", "impressionData": False}
            self.request("POST", f"/admin/projects/{self.project}/features", body, expected=(200, 201))
            logger.info("unleash: created flag %s in project %s", flag.name, self.project)

    def features(self, names: list[str]) -> dict[str, dict[str, Any]]:
        """Return the client-features definitions (enabled, strategies) of the named flags in this environment.

        Flags that Unleash does not have are left out.
        """
        exported = self.request("POST", "/admin/features-batch/export", {"features": names, "environment": self.environment}).json()
        enabled = {row["featureName"]: bool(row.get("enabled")) for row in exported.get("featureEnvironments", [])}
        definitions: dict[str, dict[str, Any]] = {}
        for feature in exported.get("features", []):
            strategies = [strategy for strategy in exported.get("featureStrategies", []) if strategy.get("featureName") == feature["name"]]
            definitions[feature["name"]] = {
                "name": feature["name"],
                "description": feature.get("description", ""),
                "enabled": enabled.get(feature["name"], False),
                "strategies": sorted(strategies, key=lambda strategy: strategy.get("sortOrder") or 0),
            }
        return definitions

    def apply_stage(self, flag: FeatureFlag, stage: str) -> None:
        """Replace the flag's strategies in this environment by those of `stage`, then switch it on or off.

        The new strategies are added before the old ones are removed, because Unleash
        treats an enabled flag with no strategy as on for everyone. For the moment in
        between, both sets apply.
        """
        self.ensure_context_fields()
        self.ensure_feature(flag)
        environment_path = f"{self._feature_path(flag.name)}/environments/{self.environment}"
        if stage == "off":
            self.request("POST", f"{environment_path}/off")
        old_ids = [strategy["id"] for strategy in self.request("GET", f"{environment_path}/strategies").json()]
        for order, strategy in enumerate(strategies_for(flag, stage)):
            self.request("POST", f"{environment_path}/strategies", {**strategy, "sortOrder": order})
        for strategy_id in old_ids:
            self.request("DELETE", f"{environment_path}/strategies/{strategy_id}")
        if stage != "off":
            self.request("POST", f"{environment_path}/on")
        logger.info("unleash: flag %s is at stage %s in %s/%s", flag.name, stage, self.project, self.environment)

    def close(self) -> None:
        self._session.close()
