-- raw_events: one row per xAPI statement.
-- ReplacingMergeTree keyed by the full sort key collapses a statement ingested twice, and
-- the analytics views read it with FINAL, so a re-insert never changes a count, even
-- before a merge. The same statement always maps to the same project, section,
-- timestamp and event_id, so its copies share one sort key.
-- The sort key starts with project_id, then section_id: a project filter is a primary-key
-- prefix, and a section filter selects its own granules through the generic exclusion
-- search, because sections are contiguous inside each of the few projects.
-- migrate:up
CREATE TABLE IF NOT EXISTS {{local:raw_events}}{{on_cluster}}
(
    event_id String,
    event_version LowCardinality(String),
    source_file String,
    source_etag String,
    source_line UInt64,
    inserted_at DateTime64(3, 'UTC') DEFAULT now64(3),

    user_id String,
    home_page LowCardinality(String),
    section_id UInt64,
    project_id UInt64,
    publication_id Nullable(UInt64),
    enrollment_id Nullable(UInt64),
    session_id String,

    timestamp DateTime64(3, 'UTC'),
    event_type LowCardinality(String),
    verb_id LowCardinality(String),
    page_id Nullable(UInt64),
    page_sub_type LowCardinality(String),
    activity_id Nullable(UInt64),
    activity_revision_id Nullable(UInt64),
    part_id String,
    content_element_id String,

    activity_attempt_guid String,
    page_attempt_guid String,
    part_attempt_guid String,
    activity_attempt_number Nullable(UInt32),
    page_attempt_number Nullable(UInt32),
    part_attempt_number Nullable(UInt32),
    hints_requested Nullable(UInt32),
    attached_objectives String,
    response String,
    feedback String,

    score Nullable(Float64),
    out_of Nullable(Float64),
    scaled_score Nullable(Float64),
    success Nullable(Bool),
    completion Nullable(Bool),

    video_url String,
    video_time Nullable(Float64),
    video_length Nullable(Float64),
    video_progress Nullable(Float64),
    video_played_segments String,
    video_play_time Nullable(Float64),
    video_seek_from Nullable(Float64),
    video_seek_to Nullable(Float64),

    raw String CODEC(ZSTD(3))
)
ENGINE = {{engine:ReplacingMergeTree:raw_events}}
PARTITION BY toYYYYMM(timestamp)
ORDER BY (project_id, section_id, timestamp, event_id)
SETTINGS non_replicated_deduplication_window = 10000;

-- when cluster
CREATE TABLE IF NOT EXISTS raw_events{{on_cluster}} AS {{local:raw_events}}
ENGINE = Distributed({{cluster}}, {{database}}, {{local:raw_events}}, cityHash64(event_id));

-- migrate:down
DROP TABLE IF EXISTS raw_events{{on_cluster}} SYNC;

-- when cluster
DROP TABLE IF EXISTS {{local:raw_events}}{{on_cluster}} SYNC;
