"""Plugin platform: the product-wide feature flags and the admin plugin list."""

from __future__ import annotations

from olap import hookimpl
from olap.core.hookspecs import FeatureFlag, MenuItem


@hookimpl
def register_flags() -> list[FeatureFlag]:
    return [
        FeatureFlag("clickhouse-olap", "global", True, "Analytics and the ClickHouse admin console."),
        FeatureFlag("clickhouse-olap-bulk-ingest", "global", True, "Backfill consoles for S3 globs and S3 Inventory manifests."),
        FeatureFlag("instructor_dashboard_analytics", "section", False, "Analytics dashboard of a section, for its instructors."),
        FeatureFlag("project_dashboard_analytics", "project", False, "Analytics dashboard of a project, for its authors."),
    ]


@hookimpl
def register_menu_items() -> list[MenuItem]:
    return [MenuItem("Plugins", "core.plugins", permission="admin", order=900)]
