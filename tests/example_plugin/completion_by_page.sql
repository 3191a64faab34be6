SELECT page_id, countIf(completion) AS completed
FROM raw_events
WHERE {scope}
GROUP BY page_id
ORDER BY completed DESC
LIMIT {limit:UInt64}
