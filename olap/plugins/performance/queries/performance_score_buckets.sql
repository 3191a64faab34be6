-- title: Attempts by score
-- Activity attempts (activity_attempt rows with a scaled score) in five scaled-score
-- buckets: 0-20 % contains scores up to 0.2, 21-40 % scores above 0.2 up to 0.4, and so
-- on up to 81-100 % for scores above 0.8. A score below 0 counts in 0-20 % and a score
-- above 1 in 81-100 %. Only buckets with attempts are returned.
-- avg_hints: hints are counted on part attempts, so each activity attempt's hints are the
-- sum of hints_requested over the part_attempt rows with its activity_attempt_guid in
-- the same scope and range (a part row without a count adds 0). avg_hints is the mean
-- of those sums over the bucket's attempts, and an attempt with no part rows adds 0.
WITH part_hints AS (
    SELECT activity_attempt_guid, sum(ifNull(hints_requested, 0)) AS hints
    FROM events
    WHERE {scope} AND {range}
      AND event_type = 'part_attempt'
      AND activity_attempt_guid != ''
    GROUP BY activity_attempt_guid
)
SELECT
    multiIf(scaled_score <= 0.2, 0, scaled_score <= 0.4, 21, scaled_score <= 0.6, 41, scaled_score <= 0.8, 61, 81) AS bucket_start,
    concat(toString(bucket_start), '-', toString(if(bucket_start = 0, 20, bucket_start + 19)), ' %') AS score_bucket,
    count() AS attempts,
    uniqExact(user_id) AS students,
    avg(ifNull(part_hints.hints, 0)) AS avg_hints
FROM events
LEFT JOIN part_hints ON events.activity_attempt_guid = part_hints.activity_attempt_guid
WHERE {scope} AND {range}
  AND event_type = 'activity_attempt'
  AND scaled_score IS NOT NULL
GROUP BY bucket_start
ORDER BY bucket_start
