"""Every hook a plugin can implement, with the small frozen types the hooks return.

Each `register_<things>` hook is called once when the app or CLI starts, with no
arguments, and returns a list; the answers of every plugin are collected (no first
answer wins) and checked for duplicate ids or names by olap.core.plugins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal

import pluggy

hookspec = pluggy.HookspecMarker("olap")

FlagScope = Literal["global", "section", "project"]
ScopeKind = Literal["section", "project"]
PARAMETER_TYPES = ("String", "UInt64", "Int64", "Float64", "Date", "DateTime64(3)", "Array(UInt64)", "Array(String)")


@dataclass(frozen=True)
class QueryParameter:
    """A typed parameter of an analytics query, bound as `{name:clickhouse_type}`."""

    name: str
    clickhouse_type: str
    default: Any = None
    description: str = ""


@dataclass(frozen=True)
class AnalyticsQuery:
    """An analytics query: an SQL file run with either scope, section or project.

    The SQL reads the scope through the `{scope}` marker (replaced by the scope
    predicate with bound parameters) and its own values through typed parameters.
    """

    id: str
    category: str
    sql_path: Path
    title: str
    parameters: tuple[QueryParameter, ...] = ()
    scopes: tuple[ScopeKind, ...] = ("section", "project")

    def sql(self) -> str:
        return self.sql_path.read_text()


@dataclass(frozen=True)
class Category:
    """A tab of the section and project dashboards, such as engagement or performance."""

    id: str
    title: str
    order: int = 100
    flag: str | None = None


@dataclass(frozen=True)
class ChartSpec:
    """A Vega-Lite spec drawn from the rows of one analytics query."""

    query_id: str
    spec: dict = field(hash=False, compare=False)


@dataclass(frozen=True)
class FeatureFlag:
    """A feature flag a plugin gates its features with.

    `scope` says which id the flag is sticky on: none (global), a section or a project.
    """

    name: str
    scope: FlagScope
    default: bool
    description: str


@dataclass(frozen=True)
class Job:
    """A background job: a module-level function run by RQ workers, with an explicit timeout."""

    name: str
    function: Callable[..., Any] = field(hash=False, compare=False)
    timeout_seconds: int = 600
    result_ttl_seconds: int = 86400


@dataclass(frozen=True)
class BackfillSource:
    """A kind of backfill an admin can start, such as an S3 glob or an S3 Inventory manifest."""

    name: str
    title: str
    endpoint: str
    description: str = ""


@dataclass(frozen=True)
class MenuItem:
    """A link in the navigation bar, shown to users who hold `permission`."""

    label: str
    endpoint: str
    permission: Literal["authenticated", "admin"] = "authenticated"
    order: int = 100


@hookspec
def register_categories() -> list[Category]:
    """Return the dashboard categories (tabs) this plugin adds.

    Called once at startup. Category ids must be unique across plugins.
    """


@hookspec
def register_queries() -> list[AnalyticsQuery]:
    """Return the analytics queries this plugin adds.

    Called once at startup. Query ids must be unique across plugins; each query's
    category must be registered by some plugin.
    """


@hookspec
def register_charts() -> list[ChartSpec]:
    """Return the Vega-Lite chart specs this plugin draws, one per query id.

    Called once at startup. A chart's query id must be a registered query; at most one
    chart per query.
    """


@hookspec
def register_blueprints() -> list[Any]:
    """Return the Flask blueprints (routes and HTMX partials) this plugin adds.

    Called once by create_app(). Blueprint names must be unique across plugins. A
    blueprint may carry its own template and static folders.
    """


@hookspec
def register_flags() -> list[FeatureFlag]:
    """Return the feature flags this plugin declares.

    Called once at startup. Flag names must be unique across plugins; the flags file of
    the embedded mode and `olap flags export` list every declared flag.
    """


@hookspec
def register_jobs() -> list[Job]:
    """Return the background jobs this plugin runs.

    Called once at startup, by the web app and by `olap worker`. Job names must be
    unique across plugins; a job is enqueued by name.
    """


@hookspec
def register_backfill_sources() -> list[BackfillSource]:
    """Return the backfill sources this plugin offers to admins.

    Called once at startup. Source names must be unique across plugins.
    """


@hookspec
def register_menu_items() -> list[MenuItem]:
    """Return links this plugin adds to the navigation bar.

    Called once by create_app(). Endpoints must be unique across plugins.
    """
