-- title: Plays and completion per video
-- Per video (video_url), from video statements:
-- plays: statements with the verb played. viewers: distinct users with any statement
--   about the video.
-- completion_rate: the share of viewers who completed the video, meaning they sent a
--   completed statement or reported video_progress >= 0.8 in any statement.
-- avg_progress: the mean, over viewers who reported a progress, of each viewer's
--   highest video_progress. Viewers who only played or seeked are left out of it, and
--   it is NULL when no viewer reported a progress.
-- The top-N videos by plays are kept, ties broken by video URL.
WITH per_viewer AS (
    SELECT
        video_url,
        user_id,
        countIf(verb_id = 'https://w3id.org/xapi/video/verbs/played') AS viewer_plays,
        max(video_progress) AS max_progress,
        countIf(verb_id = 'https://w3id.org/xapi/video/verbs/completed' OR video_progress >= 0.8) > 0 AS completed
    FROM events
    WHERE {scope} AND {range}
      AND event_type = 'video'
      AND video_url != ''
    GROUP BY video_url, user_id
)
SELECT
    video_url,
    sum(viewer_plays) AS plays,
    count() AS viewers,
    countIf(completed) / viewers AS completion_rate,
    avg(max_progress) AS avg_progress
FROM per_viewer
GROUP BY video_url
ORDER BY plays DESC, video_url
LIMIT {top_n:UInt64}
