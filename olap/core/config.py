"""Settings of olap, read from environment variables with safe defaults.

Every variable is declared once in SETTINGS below; docs/configuration.md lists the same
table, and a test keeps the two in step.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import unquote, urlparse

from olap.core.errors import ConfigError

ETL_MODES = ("direct", "s3")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("text", "json")
ENVIRONMENTS = ("development", "production", "test")


@dataclass(frozen=True)
class Setting:
    """One configuration variable: its name, default, parser and a sentence for the docs."""

    name: str
    default: str
    description: str
    parse: Callable[[str, str], Any] = lambda name, value: value


def _integer(minimum: int) -> Callable[[str, str], int]:
    def parse(name: str, value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise ConfigError(f"{name}={value!r} is not a whole number; set it to an integer ≥ {minimum}.") from None
        if number < minimum:
            raise ConfigError(f"{name}={value!r} is below {minimum}; set it to an integer ≥ {minimum}.")
        return number

    return parse


def _choice(options: tuple[str, ...], upper: bool = False) -> Callable[[str, str], str]:
    def parse(name: str, value: str) -> str:
        normalised = value.upper() if upper else value.lower()
        if normalised not in options:
            raise ConfigError(f"{name}={value!r} is not a known value; use one of: {', '.join(options)}.")
        return normalised

    return parse


def _optional_boolean(name: str, value: str) -> bool | None:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    if lowered == "":
        return None
    raise ConfigError(f"{name}={value!r} is not a boolean; use true or false, or leave it empty.")


SETTINGS: tuple[Setting, ...] = (
    Setting("OLAP_HOME", "./var", "Instance folder: embedded ClickHouse data, the SQLite file, the flags file and the secret key."),
    Setting("OLAP_ENV", "development", "`development`, `test` or `production`. Production requires SECRET_KEY and sends cookies over HTTPS only.", _choice(ENVIRONMENTS)),
    Setting("SECRET_KEY", "", "Key that signs sessions and CSRF tokens. Empty: a random key is created once in `OLAP_HOME/secret_key`."),
    Setting("CLICKHOUSE_URL", "", "Query credential for analytics. `chdb://PATH` for the embedded engine (default: CLICKHOUSE_ADMIN_URL, else `chdb://<OLAP_HOME>/clickhouse`), or `http(s)://user:password@host:port/database` for a server."),
    Setting("CLICKHOUSE_ADMIN_URL", "", "Admin credential for migrations, backfills and inserts, in the same form. Empty: same as CLICKHOUSE_URL."),
    Setting("CLICKHOUSE_DATABASE", "olap", "Database that holds the olap tables when the URL names none."),
    Setting("CLICKHOUSE_CLUSTER", "", "Cluster name. When set, migrations render with ON CLUSTER, Replicated engines and a Distributed table."),
    Setting("CLICKHOUSE_QUERY_TIMEOUT", "30", "Default `max_execution_time` in seconds written into each analytics query.", _integer(1)),
    Setting("CLICKHOUSE_MAX_MEMORY", "2000000000", "Default `max_memory_usage` in bytes written into each analytics query.", _integer(0)),
    Setting("DATABASE_URL", "", "SQLAlchemy URL of the metadata database. Empty: SQLite at `OLAP_HOME/olap.sqlite3`. PostgreSQL: `postgresql+psycopg://user@host/db`."),
    Setting("REDIS_URL", "", "Redis for RQ jobs. Empty: an in-process Redis stand-in with worker threads inside the web process."),
    Setting("OLAP_WORKER_THREADS", "2", "Worker threads started inside the web process when REDIS_URL is empty.", _integer(0)),
    Setting("FLAGS_FILE", "", "Local feature-flag bootstrap file. Empty: `OLAP_HOME/flags.json`."),
    Setting("UNLEASH_URL", "", "Unleash API URL. When set, flags come from that server instead of FLAGS_FILE."),
    Setting("UNLEASH_API_TOKEN", "", "Client API token for UNLEASH_URL."),
    Setting("UNLEASH_APP_NAME", "olap", "Application name reported to Unleash."),
    Setting("CUSTOM_SQL_TIMEOUT", "10", "`max_execution_time` in seconds of each custom SQL query.", _integer(1)),
    Setting("CUSTOM_SQL_MAX_RESULT_ROWS", "5000", "`max_result_rows` of each custom SQL query.", _integer(1)),
    Setting("CUSTOM_SQL_MAX_ROWS_TO_READ", "200000000", "`max_rows_to_read` of each custom SQL query.", _integer(1)),
    Setting("CUSTOM_SQL_MAX_BYTES_TO_READ", "20000000000", "`max_bytes_to_read` of each custom SQL query.", _integer(1)),
    Setting("CUSTOM_SQL_MAX_MEMORY", "1000000000", "`max_memory_usage` in bytes of each custom SQL query.", _integer(1)),
    Setting("CUSTOM_SQL_RUNS_PER_MINUTE", "20", "Custom SQL runs allowed per user per minute; more answer HTTP 429.", _integer(1)),
    Setting("UNLEASH_ADMIN_TOKEN", "", "Admin API token for UNLEASH_URL; `olap flags stage|rollback` and the admin flags page write rollout stages with it."),
    Setting("UNLEASH_PROJECT", "default", "Unleash project that holds olap's flags."),
    Setting("UNLEASH_ENVIRONMENT", "development", "Unleash environment that stage changes write to; use the environment of UNLEASH_API_TOKEN."),
    Setting("METRICS_TOKEN", "", "Bearer token that `/metrics` requires. Empty: `/metrics` answers 404."),
    Setting("XAPI_ETL_MODE", "direct", "`direct` inserts uploaded statements at once; `s3` writes them as JSONL bundles to S3 for the ETL function.", _choice(ETL_MODES)),
    Setting("XAPI_S3_BUCKET", "", "Bucket the uploader writes JSONL bundles to when XAPI_ETL_MODE is `s3`."),
    Setting("XAPI_S3_PREFIX", "xapi/", "Key prefix of those bundles."),
    Setting("XAPI_MAX_BODY_BYTES", "16777216", "Largest request body `POST /xapi/statements` accepts, in bytes.", _integer(1024)),
    Setting("XAPI_MAX_LINE_BYTES", "1048576", "Largest statement (one JSONL line) ingest accepts, in bytes; larger ones are rejected as line_too_large.", _integer(1024)),
    Setting("LOG_LEVEL", "INFO", "Python logging level: DEBUG, INFO, WARNING or ERROR.", _choice(LOG_LEVELS, upper=True)),
    Setting("LOG_FORMAT", "text", "`text` lines, or `json` for one JSON object per line, on stderr.", _choice(LOG_FORMATS)),
    Setting("OLAP_HOST", "127.0.0.1", "Address `olap serve` listens on."),
    Setting("OLAP_PORT", "8000", "Port `olap serve` listens on.", _integer(1)),
    Setting("OLAP_DISABLED_PLUGINS", "", "Comma-separated plugin names not to load, such as a bundled plugin replaced by your own."),
    Setting("OLAP_LOGIN_SECURE_COOKIES", "", "Send cookies over HTTPS only (true/false). Empty: true in production, false otherwise.", _optional_boolean),
)

KNOWN_NAMES = frozenset(setting.name for setting in SETTINGS)


@dataclass(frozen=True)
class ClickHouseTarget:
    """Target of a ClickHouse connection: the embedded engine at a path, or a server."""

    kind: str
    database: str
    path: str = ""
    host: str = ""
    port: int = 0
    username: str = "default"
    password: str = field(default="", repr=False)
    secure: bool = False

    def describe(self) -> str:
        """Return the target without its password, for messages and logs."""
        if self.kind == "chdb":
            return f"chdb://{self.path} (database {self.database})"
        scheme = "https" if self.secure else "http"
        return f"{scheme}://{self.username}@{self.host}:{self.port}/{self.database}"


def parse_clickhouse_url(name: str, url: str, default_database: str) -> ClickHouseTarget:
    """Parse a `chdb://PATH` or `http(s)://user:password@host:port/database` URL."""
    parsed = urlparse(url)
    if parsed.scheme == "chdb":
        path = unquote(parsed.netloc + parsed.path)
        if not path:
            raise ConfigError(f"{name}={url!r} names no folder; use chdb:///absolute/path or chdb://relative/path.")
        return ClickHouseTarget(kind="chdb", path=str(Path(path).resolve()), database=default_database)
    if parsed.scheme in ("http", "https"):
        if not parsed.hostname:
            raise ConfigError(f"{name}={url!r} names no host; use http(s)://user:password@host:port/database.")
        secure = parsed.scheme == "https"
        try:
            port = parsed.port or (8443 if secure else 8123)
        except ValueError:
            raise ConfigError(f"{name}={url!r} has an invalid port; use a number such as 8123.") from None
        database = unquote(parsed.path.strip("/")) or default_database
        return ClickHouseTarget(
            kind="http",
            host=parsed.hostname,
            port=port,
            username=unquote(parsed.username or "default"),
            password=unquote(parsed.password or ""),
            database=database,
            secure=secure,
        )
    raise ConfigError(f"{name}={url!r} has an unsupported scheme; use chdb://PATH, http:// or https://.")


@dataclass(frozen=True)
class Config:
    """Parsed, validated settings of one olap instance."""

    values: Mapping[str, Any]
    home: Path
    clickhouse: ClickHouseTarget
    clickhouse_admin: ClickHouseTarget
    database_url: str
    flags_file: Path

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    @property
    def embedded_clickhouse(self) -> bool:
        return self.clickhouse.kind == "chdb"

    @property
    def production(self) -> bool:
        return self.values["OLAP_ENV"] == "production"

    def secret_key(self) -> str:
        """Return SECRET_KEY, creating a random one in the instance folder when unset."""
        if self.values["SECRET_KEY"]:
            return self.values["SECRET_KEY"]
        if self.production:
            raise ConfigError("SECRET_KEY is empty; production needs a fixed key, for example the output of `python -c 'import secrets; print(secrets.token_hex(32))'`.")
        key_file = self.home / "secret_key"
        if not key_file.exists():
            self.home.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_hex(32))
            key_file.chmod(0o600)
        return key_file.read_text().strip()


def load_config(environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None) -> Config:
    """Read every setting from `environ` (default os.environ), then apply `overrides`.

    Raises ConfigError naming the variable for an unknown `OLAP_*` name or an invalid value.
    """
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    unknown = sorted(name for name in list(environ) + list(overrides) if name.startswith("OLAP_") and name not in KNOWN_NAMES)
    if unknown:
        raise ConfigError(f"Unknown setting {unknown[0]}; check its spelling against docs/configuration.md.")
    for name in overrides:
        if name not in KNOWN_NAMES:
            raise ConfigError(f"Unknown setting {name}; check its spelling against docs/configuration.md.")

    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = overrides.get(setting.name, environ.get(setting.name, setting.default))
        values[setting.name] = setting.parse(setting.name, str(raw))

    home = Path(values["OLAP_HOME"]).expanduser().resolve()
    database = values["CLICKHOUSE_DATABASE"]
    query_url = values["CLICKHOUSE_URL"] or values["CLICKHOUSE_ADMIN_URL"] or f"chdb://{home / 'clickhouse'}"
    clickhouse = parse_clickhouse_url("CLICKHOUSE_URL", query_url, database)
    admin_url = values["CLICKHOUSE_ADMIN_URL"] or query_url
    clickhouse_admin = parse_clickhouse_url("CLICKHOUSE_ADMIN_URL", admin_url, database)
    if clickhouse.kind != clickhouse_admin.kind or clickhouse.database != clickhouse_admin.database:
        raise ConfigError("CLICKHOUSE_URL and CLICKHOUSE_ADMIN_URL point at different kinds of target or databases; give both the same engine and database.")
    if values["XAPI_ETL_MODE"] == "s3" and not values["XAPI_S3_BUCKET"]:
        raise ConfigError("XAPI_ETL_MODE is s3 but XAPI_S3_BUCKET is empty; name the bucket the uploader writes bundles to.")
    if clickhouse.kind == "chdb" and clickhouse.path != clickhouse_admin.path:
        raise ConfigError("CLICKHOUSE_URL and CLICKHOUSE_ADMIN_URL name different chdb folders; one process can open only one, so give both the same path.")

    database_url = values["DATABASE_URL"] or f"sqlite:///{home / 'olap.sqlite3'}"
    flags_file = Path(values["FLAGS_FILE"]).expanduser().resolve() if values["FLAGS_FILE"] else home / "flags.json"
    return Config(
        values=values,
        home=home,
        clickhouse=clickhouse,
        clickhouse_admin=clickhouse_admin,
        database_url=database_url,
        flags_file=flags_file,
    )
