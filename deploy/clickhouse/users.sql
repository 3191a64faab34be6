-- ClickHouse users of a production olap deployment. Run this file once as an admin user.
-- compose.yaml mounts it into /docker-entrypoint-initdb.d, so the official image runs it
-- at first start. Replace every CHANGE-ME password, and the database name `olap` when
-- CLICKHOUSE_DATABASE differs. On a cluster, add ON CLUSTER <name> to each statement.
--
-- The read-only query user `olap_query` and its settings profile are created by
-- olap/clickhouse/users/custom_sql_readonly.sql, which compose.yaml mounts beside this file.

-- olap_admin: CLICKHOUSE_ADMIN_URL of the web app and the workers. It runs migrations
-- (CREATE/DROP/ALTER, ON CLUSTER), backfills (INSERT … SELECT FROM s3() or s3Cluster()),
-- OPTIMIZE after a backfill, progress from system.processes and KILL QUERY on cancel.
CREATE USER IF NOT EXISTS olap_admin IDENTIFIED WITH sha256_password BY 'CHANGE-ME';
GRANT CREATE DATABASE ON olap.*, CREATE TABLE, CREATE VIEW, DROP TABLE, DROP VIEW, ALTER, INSERT, SELECT, OPTIMIZE, TRUNCATE ON olap.* TO olap_admin;
GRANT CLUSTER ON *.* TO olap_admin;
GRANT S3 ON *.* TO olap_admin;
GRANT SELECT ON system.* TO olap_admin;
GRANT KILL QUERY ON *.* TO olap_admin;

-- xapi_etl: insert-only user of the ETL function (CLICKHOUSE_ADMIN_URL of the Lambda).
-- It inserts rows and rejects, and reads the two columns of the duplicate check.
CREATE USER IF NOT EXISTS xapi_etl IDENTIFIED WITH sha256_password BY 'CHANGE-ME';
GRANT INSERT ON olap.raw_events TO xapi_etl;
GRANT INSERT ON olap.raw_events_rejected TO xapi_etl;
GRANT SELECT(event_id, payload_hash) ON olap.raw_events TO xapi_etl;
