-- title: Summary
-- One row for the summary cards. active_students counts distinct users with any event.
-- avg_scaled_score is the mean scaled score of activity attempts (activity_attempt rows
-- with a scaled score), or NULL when there are none.
SELECT
    count() AS events,
    uniqExact(user_id) AS active_students,
    countIf(event_type = 'page_viewed') AS page_views,
    avgIf(scaled_score, event_type = 'activity_attempt') AS avg_scaled_score
FROM events
WHERE {scope} AND {range}
