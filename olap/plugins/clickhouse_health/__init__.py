"""Plugin clickhouse_health: the admin console of ClickHouse health, metrics and migrations."""

from __future__ import annotations

from olap import hookimpl
from olap.core.hookspecs import MenuItem


@hookimpl
def register_blueprints():
    from olap.plugins.clickhouse_health.views import bp

    return [bp]


@hookimpl
def register_menu_items():
    return [MenuItem("ClickHouse", "clickhouse_health.console", permission="admin", order=200)]
