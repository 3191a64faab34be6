-- title: Page views per day
-- Views per page and local day for the top pages by views.
SELECT
    page_id,
    toDate(timestamp, {tz:String}) AS day,
    count() AS views
FROM events
WHERE {scope} AND {range}
  AND event_type = 'page_viewed'
  AND page_id IN (
      SELECT page_id
      FROM events
      WHERE {scope} AND {range} AND event_type = 'page_viewed' AND page_id IS NOT NULL
      GROUP BY page_id
      ORDER BY count() DESC, page_id
      LIMIT {top_n:UInt64}
  )
GROUP BY page_id, day
ORDER BY page_id, day
