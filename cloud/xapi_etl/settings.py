"""Settings of the ETL function, read from environment variables, and the per-container runtime."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, Mapping

import boto3
from botocore.config import Config as BotoConfig

from olap.core.clickhouse import ClickHouse
from olap.core.config import ClickHouseTarget, load_config
from olap.core.errors import ConfigError
from olap.ingest.loader import DEFAULT_CHUNK_LINES
from olap.ingest.mapping import DEFAULT_MAX_LINE_BYTES

logger = logging.getLogger(__name__)

TRUE_TEXTS = ("1", "true", "yes", "on")
FALSE_TEXTS = ("0", "false", "no", "off", "")


@dataclass(frozen=True)
class EtlSettings:
    """Settings of the function: the ClickHouse target, dry-run switch and line limits."""

    target: ClickHouseTarget | None
    dry_run: bool = False
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    chunk_lines: int = DEFAULT_CHUNK_LINES
    log_level: str = "INFO"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> "EtlSettings":
        """Read the settings; a ClickHouse URL is required unless XAPI_ETL_DRY_RUN is true.

        CLICKHOUSE_ADMIN_URL names the inserting credential, CLICKHOUSE_URL is used when it
        is empty. Both go through olap's own config loader, so URLs, CLICKHOUSE_DATABASE and
        LOG_LEVEL are parsed exactly as the web app parses them.
        """
        dry_run = parse_boolean("XAPI_ETL_DRY_RUN", environ.get("XAPI_ETL_DRY_RUN", ""))
        max_line_bytes = parse_positive("XAPI_ETL_MAX_LINE_BYTES", environ.get("XAPI_ETL_MAX_LINE_BYTES", str(DEFAULT_MAX_LINE_BYTES)))
        chunk_lines = parse_positive("XAPI_ETL_CHUNK_LINES", environ.get("XAPI_ETL_CHUNK_LINES", str(DEFAULT_CHUNK_LINES)))

        url = environ.get("CLICKHOUSE_ADMIN_URL") or environ.get("CLICKHOUSE_URL") or ""
        if not url and not dry_run:
            raise ConfigError(
                "CLICKHOUSE_ADMIN_URL and CLICKHOUSE_URL are both empty; set CLICKHOUSE_ADMIN_URL to"
                " https://user:password@host:8443/database for the insert user."
            )
        # Without a URL, olap's loader names an embedded engine under OLAP_HOME (parsed,
        # never opened). A dry run needs no ClickHouse, so it gets no target instead.
        config = load_config(environ, {"CLICKHOUSE_URL": url, "CLICKHOUSE_ADMIN_URL": url} if url else {})
        target = config.clickhouse_admin if url else None
        return cls(target, dry_run, max_line_bytes, chunk_lines, config["LOG_LEVEL"])


def parse_boolean(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in TRUE_TEXTS:
        return True
    if lowered in FALSE_TEXTS:
        return False
    raise ConfigError(f"{name}={value!r} is not a boolean; use true or false.")


def parse_positive(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a whole number; set it to an integer of at least 1.") from None
    if number < 1:
        raise ConfigError(f"{name}={value!r} is below 1; set it to an integer of at least 1.")
    return number


class Runtime:
    """Settings, the S3 client and the ClickHouse connection of one Lambda container.

    The connection opens on the first insert and is kept for later invocations, so a warm
    container reuses its HTTP session. A dry run never opens it.
    """

    def __init__(self, settings: EtlSettings, s3_client: Any):
        self.settings = settings
        self.s3 = s3_client
        self._store: ClickHouse | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> "Runtime":
        settings = EtlSettings.from_environment(environ)
        for name in ("xapi_etl", "olap"):
            logging.getLogger(name).setLevel(settings.log_level)
        return cls(settings, s3_client(environ))

    def store(self) -> ClickHouse:
        if self._store is None:
            if self.settings.target is None:
                raise ConfigError("no ClickHouse URL is set, so only a dry run can run; set CLICKHOUSE_ADMIN_URL.")
            self._store = ClickHouse(self.settings.target)
            logger.info("clickhouse %s: connection opened for ingest", self.settings.target.describe())
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def s3_client(environ: Mapping[str, str]) -> Any:
    """Build an S3 client; boto3 itself reads AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL and the credentials.

    botocore reads only AWS_DEFAULT_REGION, while Lambda and many tools set AWS_REGION,
    so the region is passed on from either.
    """
    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or None
    config = BotoConfig(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=10, read_timeout=60)
    return boto3.session.Session().client("s3", region_name=region, config=config)


_runtime: Runtime | None = None


def runtime() -> Runtime:
    """Return this container's runtime, building it on the first call."""
    global _runtime
    if _runtime is None:
        _runtime = Runtime.from_environment(os.environ)
    return _runtime


def reset_runtime() -> None:
    """Close and forget the runtime, so the next call reads the environment again (tests)."""
    global _runtime
    if _runtime is not None:
        _runtime.close()
    _runtime = None
