"""ClickHouse layer and migrations on the embedded engine."""

from __future__ import annotations

import threading
import time

import pyarrow as pa
import pytest

from olap.core.clickhouse import ClickHouse, render_settings_clause
from olap.core.errors import ClickHouseError, QueryLimitExceeded
from olap.core.migrations import Migrator, load_migrations, render


def test_settings_clause_renders_literals():
    clause = render_settings_clause({"readonly": 1, "max_execution_time": 2.5, "log_comment": "olap:abc user 3"})

    assert clause == " SETTINGS readonly = 1, max_execution_time = 2.5, log_comment = 'olap:abc user 3'"


@pytest.mark.parametrize("settings", [{"bad name": 1}, {"log_comment": "x'; DROP TABLE t"}, {"readonly": None}], ids=["name", "quote", "none"])
def test_settings_clause_rejects_unsafe_values(settings):
    with pytest.raises(ValueError):
        render_settings_clause(settings)


def test_query_binds_parameters(clickhouse):
    result = clickhouse.query("SELECT {value:String} AS echoed, {number:UInt32} + 1 AS next", {"value": "it's", "number": 41})

    assert result.column_names == ("echoed", "next")
    assert result.rows == [("it's", 42)]
    assert len(result.query_id) == 32


def test_failed_guarded_query_leaves_store_usable(clickhouse):
    with pytest.raises(QueryLimitExceeded) as caught:
        clickhouse.query("SELECT count() FROM numbers(1000000)", settings={"readonly": 1, "max_rows_to_read": 10})

    assert caught.value.code == 158
    assert caught.value.name == "TOO_MANY_ROWS"
    clickhouse.command("CREATE TABLE after_failure (x UInt8) ENGINE = MergeTree ORDER BY x")
    clickhouse.command("INSERT INTO after_failure SELECT 1")
    settings_now = clickhouse.query("SELECT getSetting('readonly'), getSetting('max_rows_to_read')").rows[0]
    assert settings_now == (0, 0)
    assert clickhouse.query("SELECT count() FROM after_failure").scalar() == 1


def test_error_keeps_server_code_and_name(clickhouse):
    with pytest.raises(ClickHouseError) as caught:
        clickhouse.query("SELECT * FROM no_such_table")

    assert caught.value.code == 60
    assert caught.value.name == "UNKNOWN_TABLE"


def test_deduplication_token_does_not_stick(clickhouse):
    clickhouse.command("CREATE TABLE tokens (x String) ENGINE = MergeTree ORDER BY x SETTINGS non_replicated_deduplication_window = 100")

    clickhouse.insert_arrow("tokens", pa.table({"x": ["a"]}), deduplication_token="file-1")
    clickhouse.insert_arrow("tokens", pa.table({"x": ["a"]}), deduplication_token="file-1")
    clickhouse.insert_arrow("tokens", pa.table({"x": ["b"]}))
    clickhouse.insert_arrow("tokens", pa.table({"x": ["c"]}))

    assert clickhouse.query("SELECT groupArray(x) FROM (SELECT x FROM tokens ORDER BY x)").scalar() == ["a", "b", "c"]


def test_running_query_is_found_and_killed(clickhouse):
    outcome = {}

    def long_query():
        try:
            clickhouse.query("SELECT count() FROM numbers(100000000000) WHERE NOT ignore(number)", query_id="longrunning1", settings={"max_block_size": 1000})
        except ClickHouseError as err:
            outcome["error"] = err

    worker = threading.Thread(target=long_query)
    worker.start()
    deadline = time.monotonic() + 10
    while clickhouse.running("longrunning1") is None and time.monotonic() < deadline:
        time.sleep(0.05)

    assert clickhouse.running("longrunning1") is not None
    assert clickhouse.kill("longrunning1") is True
    worker.join(20)
    assert not worker.is_alive()
    assert outcome["error"].name == "QUERY_WAS_CANCELLED"
    assert clickhouse.running("longrunning1") is None


def test_migrations_status_up_and_down(config):
    migrator = Migrator(config.clickhouse_admin)
    try:
        assert [status.applied for status in migrator.status()] == [False] * len(migrator.migrations)

        applied = migrator.up()
        assert [m.version for m in applied] == [m.version for m in load_migrations()]
        assert all(status.applied for status in migrator.status())
        assert migrator.up() == []

        reverted = migrator.down(len(migrator.migrations) - 1)
        assert [m.version for m in reverted] == sorted((m.version for m in load_migrations()), reverse=True)[:-1]
        assert [status.applied for status in migrator.status()] == [True] + [False] * (len(migrator.migrations) - 1)
        tables = migrator.server.query("SELECT name FROM system.tables WHERE database = {db:String}", {"db": config.clickhouse.database})
        assert {row[0] for row in tables.rows} == {"raw_events", "schema_migrations"}
        migrator.up()
        assert all(status.applied for status in migrator.status())
    finally:
        migrator.server.command(f"DROP DATABASE IF EXISTS `{config.clickhouse.database}` SYNC")
        migrator.close()


def test_cluster_rendering_uses_replicated_and_distributed():
    raw_events = next(m for m in load_migrations() if m.name == "raw_events")

    single = render(raw_events.up, "olap")
    cluster = render(raw_events.up, "olap", cluster="analytics")

    assert len(single) == 1
    assert single[0].startswith("CREATE TABLE IF NOT EXISTS raw_events\n")
    assert "ENGINE = ReplacingMergeTree\n" in single[0]
    assert "ON CLUSTER" not in single[0]
    assert len(cluster) == 2
    assert cluster[0].startswith("CREATE TABLE IF NOT EXISTS raw_events_local ON CLUSTER 'analytics'\n")
    assert "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/olap/raw_events_local', '{replica}')" in cluster[0]
    assert cluster[1] == (
        "CREATE TABLE IF NOT EXISTS raw_events ON CLUSTER 'analytics' AS raw_events_local\n"
        "ENGINE = Distributed('analytics', 'olap', raw_events_local, cityHash64(event_id))"
    )
    down = render(raw_events.down, "olap", cluster="analytics")
    assert down == ["DROP TABLE IF EXISTS raw_events ON CLUSTER 'analytics' SYNC", "DROP TABLE IF EXISTS raw_events_local ON CLUSTER 'analytics' SYNC"]


def test_failed_query_rows_do_not_reach_next_query(clickhouse):
    with pytest.raises(QueryLimitExceeded):
        clickhouse.query("SELECT number FROM numbers(100000)", settings={"max_result_rows": 1000, "result_overflow_mode": "throw", "max_block_size": 100})

    result = clickhouse.query("SELECT toUInt16(7) AS seven")

    assert result.rows == [(7,)]
