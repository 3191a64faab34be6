-- Honest ClickHouse analytics queries. Each runs through the guard for its scope (section
-- 2051, or project 318 with sections 2051 and 2077) and must return exactly the rows of
-- the query after `-- by hand:`, which filters the events view itself.

-- name: events-per-type
-- scope: section
SELECT event_type, count() AS events FROM events GROUP BY event_type ORDER BY event_type
-- by hand:
SELECT event_type, count() AS events FROM events WHERE section_id = 2051 GROUP BY event_type ORDER BY event_type

-- name: students-per-type
-- scope: section
SELECT event_type, uniqExact(user_id) AS students FROM events GROUP BY event_type ORDER BY event_type
-- by hand:
SELECT event_type, uniqExact(user_id) AS students FROM events WHERE section_id = 2051 GROUP BY event_type ORDER BY event_type

-- name: count-if-per-page
-- scope: section
SELECT page_id, countIf(event_type = 'page_viewed') AS views, countIf(event_type = 'activity_attempt') AS attempts
FROM events GROUP BY page_id ORDER BY page_id
-- by hand:
SELECT page_id, countIf(event_type = 'page_viewed') AS views, countIf(event_type = 'activity_attempt') AS attempts
FROM events WHERE section_id = 2051 GROUP BY page_id ORDER BY page_id

-- name: average-score-per-activity
-- scope: section
SELECT activity_id, round(avg(scaled_score), 4) AS average_score, count() AS attempts
FROM events WHERE event_type = 'activity_attempt' GROUP BY activity_id ORDER BY activity_id
-- by hand:
SELECT activity_id, round(avg(scaled_score), 4) AS average_score, count() AS attempts
FROM events WHERE section_id = 2051 AND event_type = 'activity_attempt' GROUP BY activity_id ORDER BY activity_id

-- name: score-quantiles
-- scope: section
SELECT quantileExact(0.5)(scaled_score) AS median_score, quantilesExact(0.25, 0.75)(scaled_score) AS quartiles
FROM events WHERE event_type = 'activity_attempt'
-- by hand:
SELECT quantileExact(0.5)(scaled_score) AS median_score, quantilesExact(0.25, 0.75)(scaled_score) AS quartiles
FROM events WHERE event_type = 'activity_attempt' AND section_id = 2051

-- name: running-total-per-day
-- scope: section
SELECT day, events, sum(events) OVER (ORDER BY day) AS running_total
FROM (SELECT toDate(timestamp) AS day, count() AS events FROM events GROUP BY day)
ORDER BY day
-- by hand:
SELECT day, events, sum(events) OVER (ORDER BY day) AS running_total
FROM (SELECT toDate(timestamp) AS day, count() AS events FROM events WHERE section_id = 2051 GROUP BY day)
ORDER BY day

-- name: rank-students-by-attempts
-- scope: section
SELECT user_id, attempts, rank() OVER (ORDER BY attempts DESC) AS place
FROM (SELECT user_id, countIf(event_type = 'activity_attempt') AS attempts FROM events GROUP BY user_id)
ORDER BY place, user_id
-- by hand:
SELECT user_id, attempts, rank() OVER (ORDER BY attempts DESC) AS place
FROM (SELECT user_id, countIf(event_type = 'activity_attempt') AS attempts FROM events WHERE section_id = 2051 GROUP BY user_id)
ORDER BY place, user_id

-- name: row-number-per-student
-- scope: section
SELECT user_id, timestamp, row_number() OVER (PARTITION BY user_id ORDER BY timestamp) AS nth
FROM events WHERE event_type = 'page_viewed'
ORDER BY user_id, timestamp
-- by hand:
SELECT user_id, timestamp, row_number() OVER (PARTITION BY user_id ORDER BY timestamp) AS nth
FROM events WHERE event_type = 'page_viewed' AND section_id = 2051
ORDER BY user_id, timestamp

-- name: day-over-day-change
-- scope: section
SELECT day, events, events - lagInFrame(events) OVER (ORDER BY day ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS change
FROM (SELECT toDate(timestamp) AS day, count() AS events FROM events GROUP BY day)
ORDER BY day
-- by hand:
SELECT day, events, events - lagInFrame(events) OVER (ORDER BY day ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS change
FROM (SELECT toDate(timestamp) AS day, count() AS events FROM events WHERE section_id = 2051 GROUP BY day)
ORDER BY day

-- name: array-join-constant
-- scope: section
SELECT arrayJoin([1, 2, 3]) AS copy, count() AS events FROM events GROUP BY copy ORDER BY copy
-- by hand:
SELECT arrayJoin([1, 2, 3]) AS copy, count() AS events FROM events WHERE section_id = 2051 GROUP BY copy ORDER BY copy

-- name: array-join-clause
-- scope: section
SELECT page, count() AS events FROM events ARRAY JOIN [page_id, page_id + 100] AS page GROUP BY page ORDER BY page
-- by hand:
SELECT page, count() AS events FROM events ARRAY JOIN [page_id, page_id + 100] AS page WHERE section_id = 2051 GROUP BY page ORDER BY page

-- name: with-cte-average-attempts
-- scope: section
WITH per_student AS (
    SELECT user_id, countIf(event_type = 'activity_attempt') AS attempts FROM events GROUP BY user_id
)
SELECT round(avg(attempts), 3) AS average_attempts, max(attempts) AS most_attempts FROM per_student
-- by hand:
SELECT round(avg(attempts), 3) AS average_attempts, max(attempts) AS most_attempts
FROM (SELECT user_id, countIf(event_type = 'activity_attempt') AS attempts FROM events WHERE section_id = 2051 GROUP BY user_id)

-- name: two-ctes-joined
-- scope: section
WITH views AS (SELECT page_id, count() AS views FROM events WHERE event_type = 'page_viewed' GROUP BY page_id),
     attempts AS (SELECT page_id, count() AS attempts FROM events WHERE event_type = 'activity_attempt' GROUP BY page_id)
SELECT views.page_id, views, attempts FROM views JOIN attempts ON views.page_id = attempts.page_id ORDER BY views.page_id
-- by hand:
SELECT v.page_id, v.views, a.attempts
FROM (SELECT page_id, count() AS views FROM events WHERE section_id = 2051 AND event_type = 'page_viewed' GROUP BY page_id) AS v
JOIN (SELECT page_id, count() AS attempts FROM events WHERE section_id = 2051 AND event_type = 'activity_attempt' GROUP BY page_id) AS a
ON v.page_id = a.page_id ORDER BY v.page_id

-- name: join-views-to-attempts
-- scope: section
SELECT v.user_id, count() AS pairs
FROM events AS v JOIN events AS a ON v.user_id = a.user_id AND v.page_id = a.page_id
WHERE v.event_type = 'page_viewed' AND a.event_type = 'activity_attempt'
GROUP BY v.user_id ORDER BY v.user_id
-- by hand:
SELECT v.user_id, count() AS pairs
FROM (SELECT * FROM events WHERE section_id = 2051) AS v JOIN (SELECT * FROM events WHERE section_id = 2051) AS a ON v.user_id = a.user_id AND v.page_id = a.page_id
WHERE v.event_type = 'page_viewed' AND a.event_type = 'activity_attempt'
GROUP BY v.user_id ORDER BY v.user_id

-- name: left-join-using
-- scope: section
SELECT user_id, views, videos
FROM (SELECT user_id, count() AS views FROM events WHERE event_type = 'page_viewed' GROUP BY user_id) AS p
LEFT JOIN (SELECT user_id, count() AS videos FROM events WHERE event_type = 'video' GROUP BY user_id) AS w USING (user_id)
ORDER BY user_id
-- by hand:
SELECT user_id, views, videos
FROM (SELECT user_id, count() AS views FROM events WHERE section_id = 2051 AND event_type = 'page_viewed' GROUP BY user_id) AS p
LEFT JOIN (SELECT user_id, count() AS videos FROM events WHERE section_id = 2051 AND event_type = 'video' GROUP BY user_id) AS w USING (user_id)
ORDER BY user_id

-- name: limit-by-top-pages-per-student
-- scope: section
SELECT user_id, page_id, count() AS views FROM events WHERE event_type = 'page_viewed'
GROUP BY user_id, page_id ORDER BY user_id, views DESC, page_id LIMIT 2 BY user_id
-- by hand:
SELECT user_id, page_id, count() AS views FROM events WHERE event_type = 'page_viewed' AND section_id = 2051
GROUP BY user_id, page_id ORDER BY user_id, views DESC, page_id LIMIT 2 BY user_id

-- name: week-and-weekday
-- scope: section
SELECT toStartOfWeek(timestamp, 1) AS week, toDayOfWeek(timestamp) AS weekday, count() AS events
FROM events GROUP BY week, weekday ORDER BY week, weekday
-- by hand:
SELECT toStartOfWeek(timestamp, 1) AS week, toDayOfWeek(timestamp) AS weekday, count() AS events
FROM events WHERE section_id = 2051 GROUP BY week, weekday ORDER BY week, weekday

-- name: days-in-new-york
-- scope: section
SELECT toDate(timestamp, 'America/New_York') AS day, formatDateTime(min(timestamp), '%H:%i') AS first_time, count() AS events
FROM events GROUP BY day ORDER BY day
-- by hand:
SELECT toDate(timestamp, 'America/New_York') AS day, formatDateTime(min(timestamp), '%H:%i') AS first_time, count() AS events
FROM events WHERE section_id = 2051 GROUP BY day ORDER BY day

-- name: active-days-per-student
-- scope: section
SELECT user_id, dateDiff('day', min(timestamp), max(timestamp)) AS span_days, uniqExact(toDate(timestamp)) AS active_days
FROM events GROUP BY user_id ORDER BY user_id
-- by hand:
SELECT user_id, dateDiff('day', min(timestamp), max(timestamp)) AS span_days, uniqExact(toDate(timestamp)) AS active_days
FROM events WHERE section_id = 2051 GROUP BY user_id ORDER BY user_id

-- name: in-subquery-students-of-activity
-- scope: section
SELECT count() AS events FROM events WHERE user_id IN (SELECT user_id FROM events WHERE activity_id = 500 AND scaled_score >= 0.5)
-- by hand:
SELECT count() AS events FROM events WHERE section_id = 2051 AND user_id IN (SELECT user_id FROM events WHERE section_id = 2051 AND activity_id = 500 AND scaled_score >= 0.5)

-- name: scalar-subquery-share
-- scope: section
SELECT event_type, round(count() / (SELECT count() FROM events), 4) AS share FROM events GROUP BY event_type ORDER BY event_type
-- by hand:
SELECT event_type, round(count() / (SELECT count() FROM events WHERE section_id = 2051), 4) AS share FROM events WHERE section_id = 2051 GROUP BY event_type ORDER BY event_type

-- name: having-busy-pages
-- scope: section
SELECT page_id, count() AS events FROM events GROUP BY page_id HAVING events > 30 ORDER BY page_id
-- by hand:
SELECT page_id, count() AS events FROM events WHERE section_id = 2051 GROUP BY page_id HAVING events > 30 ORDER BY page_id

-- name: case-score-buckets
-- scope: section
SELECT CASE WHEN scaled_score < 0.5 THEN 'low' WHEN scaled_score < 0.8 THEN 'middle' ELSE 'high' END AS bucket, count() AS attempts
FROM events WHERE event_type = 'activity_attempt' GROUP BY bucket ORDER BY bucket
-- by hand:
SELECT CASE WHEN scaled_score < 0.5 THEN 'low' WHEN scaled_score < 0.8 THEN 'middle' ELSE 'high' END AS bucket, count() AS attempts
FROM events WHERE event_type = 'activity_attempt' AND section_id = 2051 GROUP BY bucket ORDER BY bucket

-- name: multi-if-buckets
-- scope: section
SELECT multiIf(scaled_score <= 0.2, '0-20', scaled_score <= 0.6, '21-60', '61-100') AS bucket, avg(hints_requested) AS hints
FROM events WHERE event_type = 'activity_attempt' GROUP BY bucket ORDER BY bucket
-- by hand:
SELECT multiIf(scaled_score <= 0.2, '0-20', scaled_score <= 0.6, '21-60', '61-100') AS bucket, avg(hints_requested) AS hints
FROM events WHERE event_type = 'activity_attempt' AND section_id = 2051 GROUP BY bucket ORDER BY bucket

-- name: success-rate-with-if
-- scope: section
SELECT activity_id, round(avgIf(if(success, 1, 0), event_type = 'activity_attempt'), 4) AS success_rate
FROM events WHERE activity_id IS NOT NULL GROUP BY activity_id ORDER BY activity_id
-- by hand:
SELECT activity_id, round(avgIf(if(success, 1, 0), event_type = 'activity_attempt'), 4) AS success_rate
FROM events WHERE activity_id IS NOT NULL AND section_id = 2051 GROUP BY activity_id ORDER BY activity_id

-- name: uniq-exact-if
-- scope: section
SELECT uniqExactIf(user_id, event_type = 'video') AS watchers, uniqExactIf(user_id, scaled_score = 1) AS perfect_scorers FROM events
-- by hand:
SELECT uniqExactIf(user_id, event_type = 'video') AS watchers, uniqExactIf(user_id, scaled_score = 1) AS perfect_scorers FROM events WHERE section_id = 2051

-- name: last-page-per-student
-- scope: section
SELECT user_id, argMax(page_id, timestamp) AS last_page FROM events WHERE event_type = 'page_viewed' GROUP BY user_id ORDER BY user_id
-- by hand:
SELECT user_id, argMax(page_id, timestamp) AS last_page FROM events WHERE event_type = 'page_viewed' AND section_id = 2051 GROUP BY user_id ORDER BY user_id

-- name: sorted-pages-per-student
-- scope: section
SELECT user_id, arraySort(groupUniqArray(page_id)) AS pages FROM events GROUP BY user_id ORDER BY user_id
-- by hand:
SELECT user_id, arraySort(groupUniqArray(page_id)) AS pages FROM events WHERE section_id = 2051 GROUP BY user_id ORDER BY user_id

-- name: video-completion-rate
-- scope: section
SELECT page_id, round(countIf(video_progress >= 0.8) / count(), 4) AS completion_rate, round(avg(video_progress), 4) AS progress
FROM events WHERE event_type = 'video' GROUP BY page_id ORDER BY page_id
-- by hand:
SELECT page_id, round(countIf(video_progress >= 0.8) / count(), 4) AS completion_rate, round(avg(video_progress), 4) AS progress
FROM events WHERE event_type = 'video' AND section_id = 2051 GROUP BY page_id ORDER BY page_id

-- name: union-all-of-aggregates
-- scope: section
SELECT kind, n FROM (
SELECT 'views' AS kind, count() AS n FROM events WHERE event_type = 'page_viewed'
UNION ALL
SELECT 'videos' AS kind, count() AS n FROM events WHERE event_type = 'video'
) ORDER BY kind
-- by hand:
SELECT kind, n FROM (
SELECT 'views' AS kind, count() AS n FROM events WHERE event_type = 'page_viewed' AND section_id = 2051
UNION ALL
SELECT 'videos' AS kind, count() AS n FROM events WHERE event_type = 'video' AND section_id = 2051
) ORDER BY kind

-- name: not-in-students-without-video
-- scope: section
SELECT uniqExact(user_id) AS students FROM events WHERE user_id NOT IN (SELECT user_id FROM events WHERE event_type = 'video' AND video_progress >= 0.9)
-- by hand:
SELECT uniqExact(user_id) AS students FROM events WHERE section_id = 2051 AND user_id NOT IN (SELECT user_id FROM events WHERE section_id = 2051 AND event_type = 'video' AND video_progress >= 0.9)

-- name: six-hour-intervals
-- scope: section
SELECT toStartOfInterval(timestamp, INTERVAL 6 HOUR) AS slot, count() AS events FROM events GROUP BY slot ORDER BY slot
-- by hand:
SELECT toStartOfInterval(timestamp, INTERVAL 6 HOUR) AS slot, count() AS events FROM events WHERE section_id = 2051 GROUP BY slot ORDER BY slot

-- name: json-extract-from-raw
-- scope: section
SELECT JSONExtractString(raw, 'verb', 'id') AS verb, count() AS events FROM events GROUP BY verb ORDER BY verb
-- by hand:
SELECT JSONExtractString(raw, 'verb', 'id') AS verb, count() AS events FROM events WHERE section_id = 2051 GROUP BY verb ORDER BY verb

-- name: score-spread
-- scope: section
SELECT round(stddevPop(scaled_score), 4) AS spread, min(scaled_score) AS lowest, max(scaled_score) AS highest, sumIf(hints_requested, success) AS hints_on_success
FROM events WHERE event_type = 'activity_attempt'
-- by hand:
SELECT round(stddevPop(scaled_score), 4) AS spread, min(scaled_score) AS lowest, max(scaled_score) AS highest, sumIf(hints_requested, success) AS hints_on_success
FROM events WHERE event_type = 'activity_attempt' AND section_id = 2051

-- name: project-events-per-section
-- scope: project
SELECT section_id, count() AS events, uniqExact(user_id) AS students FROM events GROUP BY section_id ORDER BY section_id
-- by hand:
SELECT section_id, count() AS events, uniqExact(user_id) AS students FROM events WHERE project_id = 318 GROUP BY section_id ORDER BY section_id

-- name: project-share-of-students
-- scope: project
SELECT section_id, students, round(students / sum(students) OVER (), 4) AS share
FROM (SELECT section_id, uniqExact(user_id) AS students FROM events GROUP BY section_id) ORDER BY section_id
-- by hand:
SELECT section_id, students, round(students / sum(students) OVER (), 4) AS share
FROM (SELECT section_id, uniqExact(user_id) AS students FROM events WHERE project_id = 318 GROUP BY section_id) ORDER BY section_id

-- name: project-dense-rank-of-pages
-- scope: project
SELECT page_id, views, dense_rank() OVER (ORDER BY views DESC) AS place
FROM (SELECT page_id, countIf(event_type = 'page_viewed') AS views FROM events GROUP BY page_id) ORDER BY place, page_id
-- by hand:
SELECT page_id, views, dense_rank() OVER (ORDER BY views DESC) AS place
FROM (SELECT page_id, countIf(event_type = 'page_viewed') AS views FROM events WHERE project_id = 318 GROUP BY page_id) ORDER BY place, page_id
