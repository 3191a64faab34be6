-- title: Events per day
-- Events and unique users per event type and day, with days counted in the
-- dashboard's time zone.
-- A user active on several days of one bucket counts once in that bucket.
SELECT
    toDate(timestamp, {tz:String}) AS day,
    event_type,
    count() AS events,
    uniqExact(user_id) AS users
FROM events
WHERE {scope} AND {range}
GROUP BY day, event_type
ORDER BY day, event_type
