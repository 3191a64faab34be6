"""The one place that builds ClickHouse clients and runs queries through clickhouse-connect.

Per-query limits go into the statement's own SETTINGS clause, never into the client's
`settings=` argument. With the `chdb://` backend, settings passed that way were reported
to stay on the session after a failed query (a failed `readonly=1` query left the store
read-only). chDB 4.4 did not show it here, but a SETTINGS clause ends with its statement
in any version, and a test checks that a failed guarded query changes nothing.

Every statement carries a query id. Server mode sends it as ClickHouse's `query_id`; the
embedded engine ignores that transport setting, so the id is also written into
`log_comment` (as `olap:<query id>`), which both modes can find in `system.processes`.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import clickhouse_connect
from clickhouse_connect.driver.exceptions import ClickHouseError as DriverError

from olap.core.config import ClickHouseTarget
from olap.core.errors import (
    ClickHouseError,
    ClickHouseUnavailable,
    EmbeddedEngineInUse,
    QueryLimitExceeded,
    QueryTimeout,
)

logger = logging.getLogger(__name__)

SETTING_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
SAFE_TEXT = re.compile(r"^[A-Za-z0-9 _.:/=,@+-]*$")
ERROR_CODE_AND_NAME = re.compile(r"Code: (\d+)\..*?\(([A-Z_0-9]+)\)", re.DOTALL)

TIMEOUT_CODES = {159, 160}  # TIMEOUT_EXCEEDED, TOO_SLOW
LIMIT_CODES = {158, 161, 241, 307, 396}  # TOO_MANY_ROWS, TOO_MANY_COLUMNS, MEMORY_LIMIT_EXCEEDED, TOO_MANY_BYTES, TOO_MANY_ROWS_OR_BYTES
UNAVAILABLE_CODES = {81, 209, 210, 516}  # UNKNOWN_DATABASE, SOCKET_TIMEOUT, NETWORK_ERROR, AUTHENTICATION_FAILED


def render_settings_clause(settings: Mapping[str, Any]) -> str:
    """Render `settings` as a ` SETTINGS a = 1, b = 'x'` clause, or '' when empty.

    Names must be plain setting identifiers and string values a conservative character
    set, because ClickHouse accepts no bound parameters in a SETTINGS clause.
    """
    parts = []
    for name, value in settings.items():
        if not SETTING_NAME.match(name):
            raise ValueError(f"invalid ClickHouse setting name {name!r}")
        if isinstance(value, bool):
            literal = "1" if value else "0"
        elif isinstance(value, (int, float)):
            literal = repr(value)
        elif isinstance(value, str) and SAFE_TEXT.match(value):
            literal = f"'{value}'"
        else:
            raise ValueError(f"invalid value {value!r} for ClickHouse setting {name}")
        parts.append(f"{name} = {literal}")
    return " SETTINGS " + ", ".join(parts) if parts else ""


def new_query_id() -> str:
    """Return a fresh query id."""
    return uuid.uuid4().hex


def log_comment_for(query_id: str, comment: str = "") -> str:
    """Return the `log_comment` that tags a statement with its olap query id."""
    return f"olap:{query_id} {comment}".strip()


def folder_locked_by_other_process(path: str) -> bool:
    """Return whether another process holds the lock ClickHouse takes on `<path>/status`."""
    status_file = os.path.join(path, "status")
    if not os.path.exists(status_file):
        return False
    with open(status_file, "rb") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def translate_error(err: Exception, target: ClickHouseTarget) -> ClickHouseError:
    """Map a clickhouse-connect or chdb exception to the olap error tree, keeping code and name."""
    text = str(err)
    if target.kind == "chdb" and "Error initializing EmbeddedServer" in text and folder_locked_by_other_process(target.path):
        text = "Cannot lock file: " + text
    if "EmbeddedServer already initialized" in text or "already initialized with path" in text:
        return EmbeddedEngineInUse(
            f"The embedded ClickHouse folder {target.path} cannot be opened because this process already holds another chdb folder; close the other clients first."
        )
    if "Cannot lock file" in text or "Another server instance" in text or "is locked" in text:
        return EmbeddedEngineInUse(
            f"The embedded ClickHouse folder {target.path} is in use by another process; stop that process (olap serve or olap demo) or set OLAP_HOME to another folder."
        )
    code = getattr(err, "code", None)
    name = getattr(err, "name", None)
    match = ERROR_CODE_AND_NAME.search(text)
    if match:
        code = code or int(match.group(1))
        name = name or match.group(2)
    message = text.split(" (version")[0].strip()
    if code in TIMEOUT_CODES:
        return QueryTimeout(message, code, name)
    if code in LIMIT_CODES:
        return QueryLimitExceeded(message, code, name)
    if code in UNAVAILABLE_CODES:
        return ClickHouseUnavailable(message, code, name)
    if code is None and target.kind == "http" and ("Connection" in text or "Max retries" in text or "timed out" in text):
        return ClickHouseUnavailable(f"ClickHouse at {target.describe()} is unreachable ({message}); check CLICKHOUSE_URL and that the server runs.")
    return ClickHouseError(message, code, name)


@dataclass
class QueryResult:
    """Rows of one finished query, with its id, column names and wall time."""

    query_id: str
    column_names: tuple[str, ...]
    rows: list[tuple]
    elapsed_ms: float
    summary: dict[str, Any] = field(default_factory=dict)

    def dicts(self) -> list[dict[str, Any]]:
        """Return the rows as dictionaries keyed by column name."""
        return [dict(zip(self.column_names, row)) for row in self.rows]

    def scalar(self) -> Any:
        """Return the first column of the first row, or None for an empty result."""
        return self.rows[0][0] if self.rows else None


class ClickHouse:
    """Clients for one ClickHouse target and credential, one client per thread.

    chdb serialises statements on one connection handle, and an HTTP session must not be
    shared by concurrent statements, so each thread gets its own client.
    """

    def __init__(self, target: ClickHouseTarget, *, use_database: bool = True, connect_timeout: int = 10):
        self.target = target
        self.use_database = use_database
        self.connect_timeout = connect_timeout
        self._local = threading.local()
        self._clients: list[Any] = []
        self._lock = threading.Lock()

    @property
    def database(self) -> str:
        return self.target.database

    def client(self) -> Any:
        """Return this thread's clickhouse-connect client, creating it on first use."""
        existing = getattr(self._local, "client", None)
        if existing is not None:
            return existing
        created = self._create_client()
        self._local.client = created
        with self._lock:
            self._clients.append(created)
        return created

    def _create_client(self) -> Any:
        database = self.target.database if self.use_database else None
        try:
            if self.target.kind == "chdb":
                return clickhouse_connect.get_client(interface="chdb", path=self.target.path, database=database)
            return clickhouse_connect.get_client(
                host=self.target.host,
                port=self.target.port,
                username=self.target.username,
                password=self.target.password,
                database=database or "__default__",
                secure=self.target.secure,
                connect_timeout=self.connect_timeout,
                autogenerate_session_id=False,
            )
        except DriverError as err:
            translated = translate_error(err, self.target)
            if translated.code == 81:
                raise ClickHouseUnavailable(
                    f"ClickHouse database {self.target.database!r} does not exist at {self.target.describe()}; run `olap migrate up` first.",
                    translated.code,
                    translated.name,
                ) from err
            if isinstance(translated, ClickHouseUnavailable):
                raise translated from err
            raise ClickHouseUnavailable(
                f"Cannot connect to ClickHouse at {self.target.describe()}: {translated}; check CLICKHOUSE_URL and that the server runs.",
                translated.code,
                translated.name,
            ) from err
        except Exception as err:  # requests/urllib3 connection failures, chdb engine start failures
            translated = translate_error(err, self.target)
            if isinstance(translated, ClickHouseUnavailable):
                raise translated from err
            raise ClickHouseUnavailable(
                f"Cannot connect to ClickHouse at {self.target.describe()}: {err}; check CLICKHOUSE_URL and that the server runs."
            ) from err

    def _discard_client(self) -> None:
        """Close this thread's client after a failed statement and start the next on a new one.

        With the chdb backend, a query that fails while its rows are being read leaves the
        rest of them on the connection. The next query on that client returned them as its
        own result, so the client is replaced.
        """
        failed = getattr(self._local, "client", None)
        if failed is None:
            return
        self._local.client = None
        with self._lock:
            if failed in self._clients:
                self._clients.remove(failed)
        try:
            failed.close()
        except Exception:  # the statement already failed; its error is the one to report
            logger.warning("clickhouse %s: closing a failed client raised", self.target.describe(), exc_info=True)

    def _prepare(self, sql: str, query_id: str, settings: Mapping[str, Any] | None, comment: str) -> tuple[str, dict]:
        clause_settings = dict(settings or {})
        clause_settings["log_comment"] = log_comment_for(query_id, comment)
        transport = {"query_id": query_id} if self.target.kind == "http" else {}
        return sql.rstrip().rstrip(";") + render_settings_clause(clause_settings), transport

    def query(
        self,
        sql: str,
        parameters: Mapping[str, Any] | None = None,
        *,
        query_id: str | None = None,
        settings: Mapping[str, Any] | None = None,
        comment: str = "",
    ) -> QueryResult:
        """Run a SELECT-like statement with bound `{name:Type}` parameters and return its rows."""
        query_id = query_id or new_query_id()
        statement, transport = self._prepare(sql, query_id, settings, comment)
        started = time.perf_counter()
        try:
            result = self.client().query(statement, parameters=dict(parameters or {}), settings=transport or None)
        except DriverError as err:
            self._discard_client()
            raise translate_error(err, self.target) from err
        elapsed_ms = (time.perf_counter() - started) * 1000
        return QueryResult(
            query_id=query_id,
            column_names=tuple(result.column_names),
            rows=list(result.result_rows),
            elapsed_ms=elapsed_ms,
            summary=dict(result.summary or {}),
        )

    def command(
        self,
        sql: str,
        parameters: Mapping[str, Any] | None = None,
        *,
        query_id: str | None = None,
        settings: Mapping[str, Any] | None = None,
        comment: str = "",
    ) -> str:
        """Run a statement that returns no rows (DDL, INSERT … SELECT, KILL) and return its query id."""
        query_id = query_id or new_query_id()
        statement, transport = self._prepare(sql, query_id, settings, comment)
        try:
            self.client().command(statement, parameters=dict(parameters or {}), settings=transport or None)
        except DriverError as err:
            self._discard_client()
            raise translate_error(err, self.target) from err
        return query_id

    def insert_arrow(self, table: str, arrow_table: Any, *, deduplication_token: str | None = None) -> None:
        """Insert a pyarrow table; a deduplication token makes a repeated insert a no-op.

        The token travels as a client setting, because clickhouse-connect builds the
        INSERT … FORMAT statement itself and leaves no place for a SETTINGS clause. A test
        checks that the token does not stay on the session for the next insert.
        """
        settings = {"insert_deduplication_token": deduplication_token} if deduplication_token else None
        try:
            self.client().insert_arrow(table, arrow_table, settings=settings)
        except DriverError as err:
            self._discard_client()
            raise translate_error(err, self.target) from err

    def insert_rows(self, table: str, rows: Sequence[Sequence[Any]], column_names: Iterable[str]) -> None:
        """Insert Python rows into `table` with the given column names."""
        try:
            self.client().insert(table, list(rows), column_names=list(column_names))
        except DriverError as err:
            self._discard_client()
            raise translate_error(err, self.target) from err

    def running(self, query_id: str) -> dict[str, Any] | None:
        """Return progress of a running statement by olap query id, or None when it is not running."""
        result = self.query(
            "SELECT query_id, elapsed, read_rows, read_bytes, total_rows_approx, written_rows, memory_usage"
            " FROM system.processes WHERE Settings['log_comment'] LIKE {tag:String} OR query_id = {query_id:String}",
            {"tag": f"olap:{query_id}%", "query_id": query_id},
        )
        rows = result.dicts()
        return rows[0] if rows else None

    def kill(self, query_id: str) -> bool:
        """Kill a running statement by olap query id; return whether one was running."""
        if self.running(query_id) is None:
            return False
        self.command(
            "KILL QUERY WHERE Settings['log_comment'] LIKE {tag:String} OR query_id = {query_id:String} SYNC",
            {"tag": f"olap:{query_id}%", "query_id": query_id},
        )
        return True

    def ping(self) -> str:
        """Return the server version, raising ClickHouseUnavailable when unreachable."""
        return str(self.query("SELECT version()").scalar())

    def close(self) -> None:
        """Close every client this object created, in any thread."""
        with self._lock:
            clients, self._clients = self._clients, []
        for created in clients:
            try:
                created.close()
            except Exception:  # closing must not hide the error that led here
                logger.warning("clickhouse %s: closing a client failed", self.target.describe(), exc_info=True)
        self._local = threading.local()
