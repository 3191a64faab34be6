-- Voiding and duplicate detection for raw_events, and the analytics view `events`.
-- voided_event_id: the statement id a voiding statement (verb voided, object StatementRef)
-- points at. payload_hash: the first 8 bytes of the SHA-256 of the raw line, so ingest can
-- tell a re-sent statement from a different one that reuses its id. The bloom filter lets
-- that id lookup skip granules although event_id is last in the sort key.
-- raw_events_voids holds one row per voiding statement, filled on insert by a
-- materialized view, so `events` never scans raw_events for them. `events` reads
-- raw_events FINAL (copies of one statement share a sort key and collapse) and leaves out
-- voiding statements and the statements they void, whichever arrived first.
-- migrate:up
ALTER TABLE {{local:raw_events}}{{on_cluster}}
    ADD COLUMN IF NOT EXISTS voided_event_id String DEFAULT '' AFTER video_seek_to,
    ADD COLUMN IF NOT EXISTS payload_hash UInt64 DEFAULT 0 AFTER voided_event_id;

-- when cluster
ALTER TABLE raw_events{{on_cluster}}
    ADD COLUMN IF NOT EXISTS voided_event_id String DEFAULT '' AFTER video_seek_to,
    ADD COLUMN IF NOT EXISTS payload_hash UInt64 DEFAULT 0 AFTER voided_event_id;

ALTER TABLE {{local:raw_events}}{{on_cluster}}
    ADD INDEX IF NOT EXISTS event_id_bloom event_id TYPE bloom_filter(0.01) GRANULARITY 1;

CREATE TABLE IF NOT EXISTS {{local:raw_events_voids}}{{on_cluster}}
(
    voided_event_id String,
    voiding_event_id String
)
ENGINE = {{engine:ReplacingMergeTree:raw_events_voids}}
ORDER BY (voided_event_id, voiding_event_id);

-- when cluster
CREATE TABLE IF NOT EXISTS raw_events_voids{{on_cluster}} AS {{local:raw_events_voids}}
ENGINE = Distributed({{cluster}}, {{database}}, {{local:raw_events_voids}}, cityHash64(voided_event_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS {{local:raw_events_voids_mv}}{{on_cluster}}
TO {{local:raw_events_voids}}
AS SELECT voided_event_id, event_id AS voiding_event_id
FROM {{local:raw_events}}
WHERE voided_event_id != '';

CREATE VIEW IF NOT EXISTS events{{on_cluster}} AS
SELECT *
FROM raw_events FINAL
WHERE verb_id != 'http://adlnet.gov/expapi/verbs/voided'
  AND event_id GLOBAL NOT IN (SELECT voided_event_id FROM raw_events_voids);

-- migrate:down
DROP VIEW IF EXISTS events{{on_cluster}} SYNC;

DROP VIEW IF EXISTS {{local:raw_events_voids_mv}}{{on_cluster}} SYNC;

-- when cluster
DROP TABLE IF EXISTS raw_events_voids{{on_cluster}} SYNC;

DROP TABLE IF EXISTS {{local:raw_events_voids}}{{on_cluster}} SYNC;

ALTER TABLE {{local:raw_events}}{{on_cluster}} DROP INDEX IF EXISTS event_id_bloom;

-- when cluster
ALTER TABLE raw_events{{on_cluster}} DROP COLUMN IF EXISTS voided_event_id, DROP COLUMN IF EXISTS payload_hash;

ALTER TABLE {{local:raw_events}}{{on_cluster}} DROP COLUMN IF EXISTS voided_event_id, DROP COLUMN IF EXISTS payload_hash;
