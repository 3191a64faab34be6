-- Read-only ClickHouse user for custom SQL on a ClickHouse server (not applied by `olap
-- migrate`; an operator runs it once as an admin user, replacing the password and the
-- database name `olap` if CLICKHOUSE_DATABASE differs).
--
-- readonly = 2 forbids writes and DDL but lets a query set settings in its SETTINGS
-- clause, which olap needs for its per-query limits (readonly = 1 would reject that
-- clause). The constraints cap every limit, so a query cannot raise one above the
-- profile's maximum, and `readonly` itself cannot be changed.
-- Point CLICKHOUSE_URL at this user and keep CLICKHOUSE_ADMIN_URL on an admin user.

CREATE SETTINGS PROFILE IF NOT EXISTS olap_custom_sql SETTINGS
    readonly = 2 CONST,
    max_execution_time = 10 MAX 30,
    max_result_rows = 5000 MAX 100000,
    result_overflow_mode = 'throw' CONST,
    max_rows_to_read = 200000000 MAX 1000000000,
    max_bytes_to_read = 20000000000 MAX 100000000000,
    read_overflow_mode = 'throw' CONST,
    max_memory_usage = 1000000000 MAX 4000000000,
    allow_ddl = 0 CONST,
    allow_introspection_functions = 0 CONST;

CREATE USER IF NOT EXISTS olap_query IDENTIFIED WITH sha256_password BY 'CHANGE-ME'
    SETTINGS PROFILE 'olap_custom_sql';

-- Only the analytics view (and the tables it reads, which a view needs) are granted;
-- raw_events_rejected, system tables and table functions are not.
GRANT SELECT ON olap.events TO olap_query;
GRANT SELECT ON olap.raw_events TO olap_query;
GRANT SELECT ON olap.raw_events_voids TO olap_query;
REVOKE ALL ON system.* FROM olap_query;
