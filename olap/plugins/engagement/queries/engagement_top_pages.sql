-- title: Top pages by views
-- Views and unique viewers per page; completion rate is the share of a page's viewers
-- who also completed an attempt of that page in the range.
SELECT
    page_id,
    countIf(event_type = 'page_viewed') AS views,
    uniqExactIf(user_id, event_type = 'page_viewed') AS viewers,
    round(uniqExactIf(user_id, event_type = 'page_attempt') / viewers, 4) AS completion_rate
FROM events
WHERE {scope} AND {range}
  AND event_type IN ('page_viewed', 'page_attempt')
  AND page_id IS NOT NULL
GROUP BY page_id
HAVING views > 0
ORDER BY views DESC, page_id
LIMIT {top_n:UInt64}
