-- title: Events per week
-- Events and unique users per event type and week. Weeks start on Monday in the
-- dashboard's time zone, and `week` is that Monday's date.
-- A user active on several days of one bucket counts once in that bucket.
SELECT
    toMonday(timestamp, {tz:String}) AS week,
    event_type,
    count() AS events,
    uniqExact(user_id) AS users
FROM events
WHERE {scope} AND {range}
GROUP BY week, event_type
ORDER BY week, event_type
