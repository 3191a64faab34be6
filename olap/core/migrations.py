"""ClickHouse schema migrations: numbered SQL files applied in order and recorded in schema_migrations.

A migration file holds a `-- migrate:up` and a `-- migrate:down` section of statements
ending in `;`. Placeholders render the same file for one node or a cluster:

- `{{on_cluster}}`: empty, or ` ON CLUSTER 'name'`
- `{{local:T}}`: `T` on one node, `T_local` on a cluster (the Distributed table takes `T`)
- `{{engine:E:T}}`: engine `E`, or `ReplicatedE('/clickhouse/tables/{shard}/DB/T_local', '{replica}')`
- `{{cluster}}`, `{{database}}`: the quoted cluster and database names
- `{{ingest:rows:T}}`, `{{ingest:rejects:T}}`: the shared xAPI mapping's SELECT of rows or
  of rejects over table `T` (columns raw, source_file, source_etag, source_line), with the
  default line-size limit written in, because a materialized view binds no parameters

A statement whose first line is `-- when cluster` is rendered on a cluster only.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from olap.core.clickhouse import ClickHouse
from olap.core.config import ClickHouseTarget
from olap.core.errors import ConfigError, OlapError

logger = logging.getLogger(__name__)

FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PLACEHOLDER = re.compile(r"\{\{([a-z_]+)(?::([A-Za-z_]+))?(?::([A-Za-z_]+))?\}\}")
CLUSTER_ONLY = "-- when cluster"


@dataclass(frozen=True)
class Migration:
    """One numbered migration file with its up and down SQL templates."""

    version: int
    name: str
    up: str
    down: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256((self.up + self.down).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class MigrationStatus:
    """Whether one migration is applied, and when."""

    version: int
    name: str
    applied: bool
    applied_at: str


def load_migrations(folder: Path | None = None) -> list[Migration]:
    """Read every NNNN_name.sql file of `folder` (default: the bundled ones), sorted by number."""
    root = folder or Path(str(resources.files("olap.clickhouse")))
    migrations = []
    for path in sorted(root.glob("*.sql")):
        match = FILE_NAME.match(path.name)
        if not match:
            raise OlapError(f"Migration file {path.name} is not named NNNN_name.sql; rename it.")
        text = path.read_text()
        if "-- migrate:up" not in text or "-- migrate:down" not in text:
            raise OlapError(f"Migration {path.name} lacks a '-- migrate:up' or '-- migrate:down' line.")
        up = text.split("-- migrate:up", 1)[1].split("-- migrate:down", 1)[0]
        down = text.split("-- migrate:down", 1)[1]
        migrations.append(Migration(int(match.group(1)), match.group(2), up, down))
    versions = [migration.version for migration in migrations]
    if len(versions) != len(set(versions)):
        raise OlapError(f"Two migration files share a number in {root}; give each its own.")
    return migrations


def render(template: str, database: str, cluster: str = "") -> list[str]:
    """Render a migration section into statements for one node (`cluster` empty) or a cluster."""
    for name, value in (("database", database), ("cluster", cluster)):
        if value and not IDENTIFIER.match(value):
            raise ConfigError(f"ClickHouse {name} name {value!r} is invalid; use letters, digits and underscores.")

    def substitute(match: re.Match) -> str:
        kind, first, second = match.groups()
        if kind == "on_cluster":
            return f" ON CLUSTER '{cluster}'" if cluster else ""
        if kind == "local":
            return f"{first}_local" if cluster else first
        if kind == "engine":
            if not cluster:
                return first
            return f"Replicated{first}('/clickhouse/tables/{{shard}}/{database}/{second}_local', '{{replica}}')"
        if kind == "cluster":
            return f"'{cluster}'"
        if kind == "database":
            return f"'{database}'"
        if kind == "ingest":
            return _ingest_select(first, second)
        raise OlapError(f"Unknown migration placeholder {match.group(0)}.")

    statements = []
    for chunk in re.split(r";\s*(?:\n|$)", template):
        lines = [line for line in chunk.strip().splitlines()]
        cluster_only = any(line.strip() == CLUSTER_ONLY for line in lines)
        body = "\n".join(line for line in lines if not line.strip().startswith("--")).strip()
        if not body or (cluster_only and not cluster):
            continue
        statements.append(PLACEHOLDER.sub(substitute, body))
    return statements


def _ingest_select(kind: str, table: str) -> str:
    from olap.ingest import mapping, sql

    if kind not in ("rows", "rejects"):
        raise OlapError(f"Unknown ingest placeholder kind {kind!r}; use rows or rejects.")
    select = sql.row_select_sql(table) if kind == "rows" else sql.reject_select_sql(table)
    return select.replace("{max_line_bytes:UInt64}", str(mapping.DEFAULT_MAX_LINE_BYTES))


class Migrator:
    """Applies, reverts and reports ClickHouse migrations for one database."""

    def __init__(self, admin_target: ClickHouseTarget, cluster: str = "", folder: Path | None = None):
        self.target = admin_target
        self.cluster = cluster
        self.migrations = load_migrations(folder)
        self.server = ClickHouse(admin_target, use_database=False)
        self.schema: ClickHouse | None = None

    def close(self) -> None:
        self.server.close()
        if self.schema is not None:
            self.schema.close()

    def _table(self, name: str) -> str:
        return f"`{self.target.database}`.{name}"

    def ensure_bookkeeping(self) -> None:
        """Create the database and the schema_migrations table when missing."""
        on_cluster = f" ON CLUSTER '{self.cluster}'" if self.cluster else ""
        render("{{database}}", self.target.database, self.cluster)  # raises ConfigError for invalid names
        self.server.command(f"CREATE DATABASE IF NOT EXISTS `{self.target.database}`{on_cluster}")
        engine = "ReplacingMergeTree(applied_at)"
        if self.cluster:
            engine = f"ReplicatedReplacingMergeTree('/clickhouse/tables/{{shard}}/{self.target.database}/schema_migrations', '{{replica}}', applied_at)"
        self.server.command(
            f"CREATE TABLE IF NOT EXISTS {self._table('schema_migrations')}{on_cluster}"
            " (version UInt32, name String, checksum String, applied UInt8, applied_at DateTime64(6, 'UTC') DEFAULT now64(6))"
            f" ENGINE = {engine} ORDER BY version"
        )

    def status(self) -> list[MigrationStatus]:
        """Return every known migration with whether it is applied."""
        self.ensure_bookkeeping()
        result = self.server.query(
            f"SELECT version, argMax(applied, applied_at), toString(max(applied_at)) FROM {self._table('schema_migrations')} GROUP BY version"
        )
        recorded = {row[0]: (bool(row[1]), row[2]) for row in result.rows}
        return [
            MigrationStatus(m.version, m.name, recorded.get(m.version, (False, ""))[0], recorded.get(m.version, (False, ""))[1])
            for m in self.migrations
        ]

    def _record(self, migration: Migration, applied: bool) -> None:
        self.server.command(
            f"INSERT INTO {self._table('schema_migrations')} (version, name, checksum, applied)"
            " SELECT {version:UInt32}, {name:String}, {checksum:String}, {applied:UInt8}",
            {"version": migration.version, "name": migration.name, "checksum": migration.checksum, "applied": int(applied)},
        )

    def _run(self, template: str) -> None:
        # Migration statements name tables without a database, so they run on a client
        # whose default database is the olap one; it can exist only after ensure_bookkeeping.
        if self.schema is None:
            self.schema = ClickHouse(self.target, use_database=True)
        for statement in render(template, self.target.database, self.cluster):
            self.schema.command(statement)

    def up(self, target_version: int | None = None) -> list[Migration]:
        """Apply pending migrations up to `target_version` (default: all); return those applied."""
        applied_versions = {s.version for s in self.status() if s.applied}
        done = []
        for migration in self.migrations:
            if migration.version in applied_versions:
                continue
            if target_version is not None and migration.version > target_version:
                break
            logger.info("clickhouse migration %04d_%s: applying", migration.version, migration.name)
            self._run(migration.up)
            self._record(migration, True)
            done.append(migration)
        return done

    def down(self, steps: int = 1) -> list[Migration]:
        """Revert the last `steps` applied migrations, newest first; return those reverted."""
        applied = [s.version for s in self.status() if s.applied]
        by_version = {m.version: m for m in self.migrations}
        done = []
        for version in sorted(applied, reverse=True)[:steps]:
            migration = by_version[version]
            logger.info("clickhouse migration %04d_%s: reverting", migration.version, migration.name)
            self._run(migration.down)
            self._record(migration, False)
            done.append(migration)
        return done
