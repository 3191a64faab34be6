-- raw_events_rejected: every input line that could not become a raw_events row, with
-- where it came from, why it was rejected and its text (truncated when oversized).
-- Keyed by source and line, so rejecting the same line again changes no count.
-- migrate:up
CREATE TABLE IF NOT EXISTS {{local:raw_events_rejected}}{{on_cluster}}
(
    source_file String,
    source_etag String,
    source_line UInt64,
    rejected_at DateTime64(3, 'UTC') DEFAULT now64(3),
    reason LowCardinality(String),
    detail String,
    event_id String,
    raw_size UInt64,
    raw String CODEC(ZSTD(3))
)
ENGINE = {{engine:ReplacingMergeTree:raw_events_rejected}}
ORDER BY (source_file, source_etag, source_line)
SETTINGS non_replicated_deduplication_window = 10000;

-- when cluster
CREATE TABLE IF NOT EXISTS raw_events_rejected{{on_cluster}} AS {{local:raw_events_rejected}}
ENGINE = Distributed({{cluster}}, {{database}}, {{local:raw_events_rejected}}, cityHash64(source_file));

-- migrate:down
DROP TABLE IF EXISTS raw_events_rejected{{on_cluster}} SYNC;

-- when cluster
DROP TABLE IF EXISTS {{local:raw_events_rejected}}{{on_cluster}} SYNC;
