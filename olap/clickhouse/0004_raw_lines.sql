-- raw_lines: a Null table that backfills insert raw JSONL lines into. Two materialized
-- views turn each block of lines into raw_events rows and raw_events_rejected rows with
-- the shared mapping, so one pass over the source files fills both tables and every
-- line lands in exactly one of them. A third records the last line number read from each
-- source file, so a run can report its line count without a second pass; a rerun
-- records the same numbers again, which changes no count.
-- migrate:up
CREATE TABLE IF NOT EXISTS raw_lines{{on_cluster}}
(
    raw String,
    source_file String,
    source_etag String,
    source_line UInt64
)
ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS raw_lines_rows_mv{{on_cluster}}
TO {{local:raw_events}}
AS {{ingest:rows:raw_lines}};

CREATE MATERIALIZED VIEW IF NOT EXISTS raw_lines_rejects_mv{{on_cluster}}
TO {{local:raw_events_rejected}}
AS {{ingest:rejects:raw_lines}};

CREATE TABLE IF NOT EXISTS {{local:raw_lines_seen}}{{on_cluster}}
(
    source_file String,
    source_etag String,
    last_line UInt64
)
ENGINE = {{engine:ReplacingMergeTree:raw_lines_seen}}
ORDER BY (source_file, source_etag, last_line);

-- when cluster
CREATE TABLE IF NOT EXISTS raw_lines_seen{{on_cluster}} AS {{local:raw_lines_seen}}
ENGINE = Distributed({{cluster}}, {{database}}, {{local:raw_lines_seen}}, cityHash64(source_file));

CREATE MATERIALIZED VIEW IF NOT EXISTS raw_lines_seen_mv{{on_cluster}}
TO {{local:raw_lines_seen}}
AS SELECT source_file, source_etag, max(source_line) AS last_line
FROM raw_lines
GROUP BY source_file, source_etag;

-- migrate:down
DROP VIEW IF EXISTS raw_lines_seen_mv{{on_cluster}} SYNC;

-- when cluster
DROP TABLE IF EXISTS raw_lines_seen{{on_cluster}} SYNC;

DROP TABLE IF EXISTS {{local:raw_lines_seen}}{{on_cluster}} SYNC;

DROP VIEW IF EXISTS raw_lines_rejects_mv{{on_cluster}} SYNC;

DROP VIEW IF EXISTS raw_lines_rows_mv{{on_cluster}} SYNC;

DROP TABLE IF EXISTS raw_lines{{on_cluster}} SYNC;
