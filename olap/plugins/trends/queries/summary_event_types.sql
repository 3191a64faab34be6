-- title: Events by type
-- Per event type: events, unique users, and the first and last event time as
-- 'YYYY-MM-DD hh:mm:ss' text in the dashboard's time zone. avg_scaled_score is the mean scaled score of the type's
-- statements that carry one, for the attempt types (activity_attempt, page_attempt,
-- part_attempt) only. completed_views is the number of page views whose result has
-- completion = true, for page_viewed only. Both are NULL for every other type.
SELECT
    event_type,
    count() AS events,
    uniqExact(user_id) AS users,
    formatDateTime(min(timestamp), '%Y-%m-%d %H:%i:%S', {tz:String}) AS first_time,
    formatDateTime(max(timestamp), '%Y-%m-%d %H:%i:%S', {tz:String}) AS last_time,
    if(event_type IN ('activity_attempt', 'page_attempt', 'part_attempt'), avg(scaled_score), NULL) AS avg_scaled_score,
    if(event_type = 'page_viewed', countIf(completion), NULL) AS completed_views
FROM events
WHERE {scope} AND {range}
GROUP BY event_type
ORDER BY events DESC, event_type
