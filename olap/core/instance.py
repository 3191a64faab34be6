"""The services of one olap instance: settings, metadata DB, ClickHouse, plugins, flags and jobs."""

from __future__ import annotations

import logging
from functools import cached_property
from typing import Any

from olap.core.clickhouse import ClickHouse
from olap.core.config import Config
from olap.core.db import Database
from olap.core.flags import Flags
from olap.core.plugins import Registry, build_registry, create_plugin_manager

logger = logging.getLogger(__name__)


class Instance:
    """Everything a view, job or command needs, built once per app or CLI run.

    ClickHouse clients open on first use, so commands that never touch ClickHouse do not
    lock the embedded engine's folder.
    """

    def __init__(self, config: Config):
        self.config = config
        self.plugin_manager = create_plugin_manager(config["OLAP_DISABLED_PLUGINS"].split(","))
        self.registry: Registry = build_registry(self.plugin_manager)
        self.db = Database(config.database_url)
        self.flags = Flags(
            self.registry.flags,
            config.flags_file,
            unleash_url=config["UNLEASH_URL"],
            unleash_token=config["UNLEASH_API_TOKEN"],
            app_name=config["UNLEASH_APP_NAME"],
            cache_dir=config.home / "unleash-cache",
        )
        self.jobs: Any = None

    @cached_property
    def clickhouse(self) -> ClickHouse:
        """Query credential, for analytics."""
        return ClickHouse(self.config.clickhouse)

    @cached_property
    def clickhouse_admin(self) -> ClickHouse:
        """Admin credential, for migrations, backfills and inserts."""
        return ClickHouse(self.config.clickhouse_admin)

    def close(self) -> None:
        """Stop worker threads and close every connection."""
        if self.jobs is not None:
            self.jobs.stop_threads()
        for name in ("clickhouse", "clickhouse_admin"):
            if name in self.__dict__:
                self.__dict__.pop(name).close()
        self.flags.close()
        self.db.dispose()
