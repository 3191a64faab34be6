-- title: Events per month
-- Events and unique users per event type and month in the dashboard's time
-- zone. `month` is the month's first day.
-- A user active on several days of one bucket counts once in that bucket.
SELECT
    toStartOfMonth(timestamp, {tz:String}) AS month,
    event_type,
    count() AS events,
    uniqExact(user_id) AS users
FROM events
WHERE {scope} AND {range}
GROUP BY month, event_type
ORDER BY month, event_type
