-- Hostile custom queries, each run for section 2051 of project 318 on the test sample.
-- `-- expect: rejected RULE` means the guard must reject it for that rule; `-- expect:
-- rows JSON` means it must run and return exactly these rows (sorted), which are the
-- caller's own numbers: 138 events, 6 students and 0 rows of other sections.
-- `-- expect: limit` means a ClickHouse limit must stop it.

-- name: two-statements
-- expect: rejected one_statement
SELECT 1; DROP TABLE raw_events

-- name: two-selects
-- expect: rejected one_statement
SELECT count() FROM events; SELECT count() FROM raw_events

-- name: semicolon-in-block-comment-then-statement
-- expect: rejected one_statement
SELECT 1 /* ; */ ; DROP TABLE raw_events

-- name: semicolon-in-line-comment-then-statement
-- expect: rejected one_statement
SELECT 1 -- ;
; SELECT * FROM raw_events

-- name: statement-hidden-in-line-comment
-- expect: rows [[138]]
SELECT count() FROM events -- ; DROP TABLE raw_events

-- name: statement-hidden-in-block-comment
-- expect: rows [[138]]
SELECT count() /* FROM raw_events; */ FROM events

-- name: or-one-equals-one
-- expect: rows [[138]]
SELECT count() FROM events WHERE section_id = 2051 OR 1=1

-- name: other-section-filter
-- expect: rows [[0]]
SELECT count() FROM events WHERE section_id = 2077

-- name: or-other-sections
-- expect: rows [[138]]
SELECT count() FROM events WHERE 1=1 OR section_id IN (2077, 3001)

-- name: string-tautology
-- expect: rows [[138]]
SELECT count() FROM events WHERE user_id = '1' OR '1'='1'

-- name: backslash-quote-inside-string
-- expect: rows [[0]]
SELECT count() FROM events WHERE user_id = 'x\' OR 1=1 -- '

-- name: union-with-raw-events
-- expect: rejected table
SELECT user_id FROM events UNION ALL SELECT user_id FROM raw_events

-- name: union-of-scoped-branches
-- expect: rows [[276]]
SELECT count() FROM (SELECT * FROM events UNION ALL SELECT * FROM events)

-- name: union-distinct-students
-- expect: rows [[6]]
SELECT count() FROM (SELECT user_id FROM events UNION DISTINCT SELECT user_id FROM events)

-- name: union-branch-filters-other-section
-- expect: rows [[0], [138]]
SELECT count() FROM events WHERE section_id = 2051 UNION ALL SELECT count() FROM events WHERE section_id = 3001

-- name: intersect-with-raw-events
-- expect: rejected table
SELECT user_id FROM events INTERSECT SELECT user_id FROM raw_events

-- name: cte-shadows-events
-- expect: rejected cte_shadow
WITH events AS (SELECT * FROM raw_events) SELECT count() FROM events

-- name: cte-shadows-events-other-case
-- expect: rejected cte_shadow
WITH Events AS (SELECT 1 AS x) SELECT count() FROM Events

-- name: cte-shadows-events-quoted
-- expect: rejected cte_shadow
WITH "events" AS (SELECT 1 AS x) SELECT count() FROM "events"

-- name: cte-named-like-table-reads-itself
-- expect: rejected table
WITH raw_events AS (SELECT * FROM raw_events) SELECT count() FROM raw_events

-- name: cte-forward-reference
-- expect: rejected table
WITH a AS (SELECT * FROM raw_events_rejected), raw_events_rejected AS (SELECT * FROM events) SELECT count() FROM a

-- name: cte-out-of-its-subquery
-- expect: rejected table
SELECT count() FROM (WITH raw_events_rejected AS (SELECT * FROM events) SELECT * FROM raw_events_rejected) UNION ALL SELECT count() FROM raw_events_rejected

-- name: cte-widening-filter
-- expect: rows [[138]]
WITH mine AS (SELECT * FROM events WHERE 1=1 OR 1=1) SELECT count() FROM mine

-- name: cte-used-in-second-union-branch
-- expect: rows [[6], [138]]
WITH mine AS (SELECT * FROM events) SELECT count() FROM mine UNION ALL SELECT uniqExact(user_id) FROM mine

-- name: scalar-cte-over-raw-events
-- expect: rejected table
WITH (SELECT count() FROM raw_events) AS total SELECT total

-- name: scalar-cte-over-events
-- expect: rows [[138]]
WITH (SELECT count() FROM events) AS total SELECT total

-- name: scalar-subquery-events
-- expect: rows [[138]]
SELECT (SELECT count() FROM events) AS c

-- name: scalar-subquery-raw-events
-- expect: rejected table
SELECT (SELECT count() FROM raw_events) AS c

-- name: in-subquery-other-section
-- expect: rows [[0]]
SELECT count() FROM events WHERE user_id IN (SELECT user_id FROM events WHERE section_id = 2077)

-- name: in-bare-table-name
-- expect: rejected in_table
SELECT count() FROM events WHERE event_id IN raw_events

-- name: in-parenthesised-table-name
-- expect: rejected in_table
SELECT count() FROM events WHERE event_id IN (raw_events_rejected)

-- name: in-double-parenthesised-table-name
-- expect: rejected in_table
SELECT count() FROM events WHERE event_id IN ((raw_events_voids))

-- name: global-in-table-name
-- expect: rejected in_table
SELECT count() FROM events WHERE event_id GLOBAL IN raw_events

-- name: in-subquery-system-table
-- expect: rejected qualified_table
SELECT count() FROM events WHERE 1 IN (SELECT 1 FROM system.one)

-- name: exists-raw-events
-- expect: rejected table
SELECT count() FROM events WHERE EXISTS (SELECT 1 FROM raw_events)

-- name: alias-named-like-table
-- expect: rows [[138]]
SELECT count() FROM events AS raw_events

-- name: derived-table-aliased-events
-- expect: rejected table
SELECT count() FROM (SELECT * FROM raw_events) AS events

-- name: join-raw-events
-- expect: rejected table
SELECT count() FROM events e JOIN raw_events r ON e.event_id = r.event_id

-- name: comma-join-raw-events
-- expect: rejected table
SELECT count() FROM events AS e, raw_events

-- name: self-join-stays-scoped
-- expect: rows [[138]]
SELECT count() FROM events a JOIN events b ON a.event_id = b.event_id

-- name: join-system-table
-- expect: rejected qualified_table
SELECT count() FROM events e LEFT JOIN system.one o ON 1 = 1

-- name: nested-subqueries
-- expect: rows [[138]]
SELECT count() FROM (SELECT * FROM (SELECT * FROM (SELECT * FROM events)))

-- name: array-join-doubles-own-rows
-- expect: rows [[276]]
SELECT count() FROM events ARRAY JOIN [1, 2] AS copy

-- name: table-function-file
-- expect: rejected table_function
SELECT * FROM file('/etc/passwd', 'LineAsString')

-- name: table-function-url
-- expect: rejected table_function
SELECT * FROM url('http://127.0.0.1:1/secret', 'CSV', 'a String')

-- name: table-function-s3
-- expect: rejected table_function
SELECT * FROM s3('http://127.0.0.1:9/bucket/key.csv', 'CSV')

-- name: table-function-remote
-- expect: rejected table_function
SELECT * FROM remote('127.0.0.1', system.one)

-- name: table-function-remote-secure
-- expect: rejected table_function
SELECT * FROM remoteSecure('127.0.0.1:9440', default.raw_events)

-- name: table-function-cluster
-- expect: rejected table_function
SELECT * FROM cluster('default', system.one)

-- name: table-function-numbers
-- expect: rejected table_function
SELECT * FROM numbers(1000000000)

-- name: table-function-input
-- expect: rejected table_function
SELECT * FROM input('x String')

-- name: table-function-mysql
-- expect: rejected table_function
SELECT * FROM mysql('127.0.0.1:3306', 'db', 't', 'user', 'password')

-- name: table-function-postgresql
-- expect: rejected table_function
SELECT * FROM postgresql('127.0.0.1:5432', 'db', 't', 'user', 'password')

-- name: table-function-jdbc
-- expect: rejected table_function
SELECT * FROM jdbc('datasource', 'schema', 'table')

-- name: table-function-executable
-- expect: rejected table_function
SELECT * FROM executable('cat /etc/passwd', 'TSV', 'x String')

-- name: table-function-merge
-- expect: rejected table_function
SELECT * FROM merge(currentDatabase(), '.*')

-- name: table-function-in-join
-- expect: rejected table_function
SELECT count() FROM events JOIN numbers(10) AS n ON 1 = 1

-- name: table-function-in-in-subquery
-- expect: rejected table_function
SELECT count() FROM events WHERE user_id IN (SELECT * FROM file('users.csv'))

-- name: function-file
-- expect: rejected function
SELECT file('/etc/passwd')

-- name: function-dictget
-- expect: rejected function
SELECT dictGet('users_dictionary', 'email', toUInt64(1))

-- name: function-dictget-or-default
-- expect: rejected function
SELECT dictGetOrDefault('users_dictionary', 'email', toUInt64(1), '')

-- name: function-joinget
-- expect: rejected function
SELECT joinGet('raw_events', 'user_id', 1)

-- name: function-getsetting
-- expect: rejected function
SELECT getSetting('readonly')

-- name: function-has-column-in-table
-- expect: rejected function
SELECT hasColumnInTable('system', 'users', 'name')

-- name: function-hostname
-- expect: rejected function
SELECT hostName()

-- name: function-sleep
-- expect: rejected function
SELECT sleepEachRow(1) FROM events

-- name: function-unknown
-- expect: rejected function
SELECT evil_function(1)

-- name: function-url-as-scalar-mixed-case
-- expect: rejected function
SELECT URL('http://127.0.0.1:1/')

-- name: system-tables
-- expect: rejected qualified_table
SELECT * FROM system.tables

-- name: system-query-log
-- expect: rejected qualified_table
SELECT query FROM system.query_log

-- name: system-quoted
-- expect: rejected qualified_table
SELECT * FROM `system`.`one`

-- name: information-schema
-- expect: rejected qualified_table
SELECT * FROM information_schema.tables

-- name: information-schema-upper-case
-- expect: rejected qualified_table
SELECT * FROM INFORMATION_SCHEMA.TABLES

-- name: database-qualified-events
-- expect: rejected qualified_table
SELECT count() FROM default.events

-- name: database-qualified-column
-- expect: rejected qualified_column
SELECT system.one.dummy FROM events

-- name: quoted-events
-- expect: rows [[138]]
SELECT count() FROM "events"

-- name: backquoted-events-and-alias
-- expect: rows [[138]]
SELECT count() FROM `events` AS `e`

-- name: upper-case-table-name
-- expect: rejected table
SELECT count() FROM EVENTS

-- name: mixed-case-keywords
-- expect: rows [[138]]
SeLeCt count() FrOm events WhErE 1=1 Or 1=1

-- name: raw-events
-- expect: rejected table
SELECT count() FROM raw_events

-- name: raw-events-rejected
-- expect: rejected table
SELECT raw FROM raw_events_rejected

-- name: raw-events-voids
-- expect: rejected table
SELECT * FROM raw_events_voids

-- name: settings-readonly
-- expect: rejected clause
SELECT count() FROM events SETTINGS readonly = 0

-- name: settings-in-subquery
-- expect: rejected clause
SELECT count() FROM (SELECT * FROM events SETTINGS max_execution_time = 0)

-- name: settings-after-limit-by
-- expect: rejected clause
SELECT user_id FROM events LIMIT 1 BY user_id SETTINGS max_threads = 100

-- name: format-tail
-- expect: rejected clause
SELECT count() FROM events FORMAT JSON

-- name: into-outfile
-- expect: rejected parse
SELECT * FROM events INTO OUTFILE '/tmp/events.csv'

-- name: into-outfile-with-format
-- expect: rejected parse
SELECT * FROM events INTO OUTFILE 'events.csv' FORMAT CSV

-- name: drop-table
-- expect: rejected select_only
DROP TABLE raw_events

-- name: insert-select
-- expect: rejected select_only
INSERT INTO raw_events SELECT * FROM raw_events

-- name: alter-delete
-- expect: rejected select_only
ALTER TABLE raw_events DELETE WHERE 1

-- name: truncate
-- expect: rejected select_only
TRUNCATE TABLE raw_events

-- name: set-readonly
-- expect: rejected select_only
SET readonly = 0

-- name: kill-query
-- expect: rejected parse
KILL QUERY WHERE 1

-- name: system-command
-- expect: rejected select_only
SYSTEM SHUTDOWN

-- name: show-tables
-- expect: rejected select_only
SHOW TABLES

-- name: describe
-- expect: rejected select_only
DESCRIBE TABLE raw_events

-- name: explain
-- expect: rejected select_only
EXPLAIN SELECT * FROM raw_events

-- name: optimize
-- expect: rejected select_only
OPTIMIZE TABLE raw_events FINAL

-- name: create-table-as-select
-- expect: rejected select_only
CREATE TABLE copied ENGINE = Memory AS SELECT * FROM events

-- name: grant
-- expect: rejected select_only
GRANT ALL ON *.* TO default

-- name: query-parameter-placeholder
-- expect: rejected parameter
SELECT count() FROM events WHERE section_id = {scope_section_id:UInt64}

-- name: final-modifier
-- expect: rejected syntax
SELECT count() FROM events FINAL

-- name: sample-modifier
-- expect: rejected table_modifier
SELECT count() FROM events SAMPLE 0.5

-- name: prewhere
-- expect: rejected syntax
SELECT count() FROM events PREWHERE 1

-- name: recursive-cte
-- expect: rejected recursive
WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r) SELECT * FROM r

-- name: view-table-function
-- expect: rejected table_function
SELECT * FROM view(SELECT * FROM raw_events)

-- name: values-table-function
-- expect: rejected syntax
SELECT * FROM values('x UInt8', 1, 2)

-- name: comments-only
-- expect: rejected empty
-- SELECT * FROM raw_events

-- name: reserved-cte-prefix
-- expect: rejected cte
WITH __cte_0_x AS (SELECT * FROM events) SELECT count() FROM __cte_0_x

-- name: string-mentions-raw-events
-- expect: rows [["FROM raw_events"]]
SELECT 'FROM raw_events' AS s

-- name: dollar-quoted-string
-- expect: rows [["x"]]
SELECT $$x$$ AS s

-- name: other-section-count-if
-- expect: rows [[0]]
SELECT countIf(section_id != 2051) FROM events

-- name: result-row-flood
-- expect: limit
SELECT arrayJoin(range(1000)) AS n FROM events
