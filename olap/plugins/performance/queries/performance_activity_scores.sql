-- title: Average score and success rate per activity
-- Per activity, over its activity attempts (activity_attempt rows with a scaled score):
-- attempts, students, the mean scaled score, and the success rate, which is the share
-- of attempts with full marks (scaled_score >= 1). Torus sends success = true on every
-- evaluated attempt, even one scored 0, so the success column cannot tell them apart.
-- The top-N activities by attempts are kept, ties broken by activity id.
SELECT
    activity_id,
    count() AS attempts,
    uniqExact(user_id) AS students,
    avg(scaled_score) AS avg_scaled_score,
    countIf(scaled_score >= 1) / attempts AS success_rate
FROM events
WHERE {scope} AND {range}
  AND event_type = 'activity_attempt'
  AND activity_id IS NOT NULL
  AND scaled_score IS NOT NULL
GROUP BY activity_id
ORDER BY attempts DESC, activity_id
LIMIT {top_n:UInt64}
