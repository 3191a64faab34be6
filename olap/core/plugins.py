"""Plugin loading and the registry of everything plugins register.

Bundled plugins and third-party ones load the same way, from the `olap.plugins` entry
point group. Loading is loud: a misspelled hook, an import failure or a duplicate id
stops startup with a PluginError naming the value and both plugins.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Iterable

import pluggy

from olap.core import hookspecs
from olap.core.errors import PluginError

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "olap.plugins"
hookimpl = pluggy.HookimplMarker("olap")


def create_plugin_manager(disabled: Iterable[str] = ()) -> pluggy.PluginManager:
    """Load every plugin of the `olap.plugins` entry point group except `disabled` ones."""
    manager = pluggy.PluginManager("olap")
    manager.add_hookspecs(hookspecs)
    disabled = {name.strip() for name in disabled if name.strip()}
    for entry_point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name):
        if entry_point.name in disabled:
            logger.info("plugin %s: disabled by OLAP_DISABLED_PLUGINS", entry_point.name)
            continue
        if manager.has_plugin(entry_point.name):
            other = manager.get_plugin(entry_point.name)
            raise PluginError(
                f"Two installed packages register the plugin name {entry_point.name!r} ({entry_point.value} and {other.__name__}); uninstall one."
            )
        try:
            module = entry_point.load()
        except Exception as err:
            raise PluginError(f"Plugin {entry_point.name} ({entry_point.value}) failed to import: {err}") from err
        manager.register(module, name=entry_point.name)
        logger.debug("plugin %s: loaded from %s", entry_point.name, entry_point.value)
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as err:
        plugin_name = manager.get_name(err.plugin) or repr(err.plugin)
        raise PluginError(f"Plugin {plugin_name} implements a hook olap does not define: {err}") from err
    return manager


@dataclass
class Registry:
    """Everything the loaded plugins registered, keyed by id or name, with the owning plugin."""

    categories: dict[str, hookspecs.Category] = field(default_factory=dict)
    queries: dict[str, hookspecs.AnalyticsQuery] = field(default_factory=dict)
    charts: dict[str, hookspecs.ChartSpec] = field(default_factory=dict)
    blueprints: dict[str, Any] = field(default_factory=dict)
    flags: dict[str, hookspecs.FeatureFlag] = field(default_factory=dict)
    jobs: dict[str, hookspecs.Job] = field(default_factory=dict)
    backfill_sources: dict[str, hookspecs.BackfillSource] = field(default_factory=dict)
    menu_items: dict[str, hookspecs.MenuItem] = field(default_factory=dict)
    owners: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(self, kind: str, key: str, value: Any, plugin: str) -> None:
        """Add one registered value, raising PluginError when another plugin took its key."""
        table: dict = getattr(self, kind)
        if key in table:
            other = self.owners[(kind, key)]
            raise PluginError(
                f"Plugins {other} and {plugin} both register the {kind.rstrip('s').replace('_', ' ')} {key!r}; rename one or disable a plugin with OLAP_DISABLED_PLUGINS."
            )
        table[key] = value
        self.owners[(kind, key)] = plugin

    def plugin_of(self, kind: str, key: str) -> str:
        return self.owners[(kind, key)]


def _collect(manager: pluggy.PluginManager, hook_name: str) -> list[tuple[str, Any]]:
    """Call one hook on every plugin and return (plugin name, item) pairs in plugin order."""
    items = []
    hook = getattr(manager.hook, hook_name)
    for implementation in reversed(hook.get_hookimpls()):
        plugin_name = manager.get_name(implementation.plugin) or repr(implementation.plugin)
        answer = implementation.function()
        if answer is None:
            continue
        if not isinstance(answer, (list, tuple)):
            raise PluginError(f"Plugin {plugin_name}: {hook_name}() must return a list, not {type(answer).__name__}.")
        items.extend((plugin_name, item) for item in answer)
    return items


# Each registration hook, the Registry table it fills, and the key that must be unique.
REGISTRATIONS: tuple[tuple[str, str, Any], ...] = (
    ("register_categories", "categories", lambda item: item.id),
    ("register_queries", "queries", lambda item: item.id),
    ("register_charts", "charts", lambda item: item.query_id),
    ("register_blueprints", "blueprints", lambda item: item.name),
    ("register_flags", "flags", lambda item: item.name),
    ("register_jobs", "jobs", lambda item: item.name),
    ("register_backfill_sources", "backfill_sources", lambda item: item.name),
    ("register_menu_items", "menu_items", lambda item: item.endpoint),
)


def build_registry(manager: pluggy.PluginManager) -> Registry:
    """Collect every registration hook into one Registry and check cross references."""
    registry = Registry()
    for hook_name, kind, key_of in REGISTRATIONS:
        for plugin, item in _collect(manager, hook_name):
            registry.add(kind, key_of(item), item, plugin)

    for query in registry.queries.values():
        if query.category not in registry.categories:
            raise PluginError(
                f"Plugin {registry.plugin_of('queries', query.id)}: query {query.id!r} names the unknown category {query.category!r}; register the category first."
            )
    for chart in registry.charts.values():
        if chart.query_id not in registry.queries:
            raise PluginError(f"Plugin {registry.plugin_of('charts', chart.query_id)}: a chart names the unknown query {chart.query_id!r}.")
    return registry
