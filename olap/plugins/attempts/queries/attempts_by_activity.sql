-- title: Attempts per activity
-- Per activity, from its activity attempts (activity_attempt rows with a scaled score)
-- and its part attempts (part_attempt rows):
-- attempts: activity attempts. students: distinct users with an activity attempt.
-- first_attempt_correct_rate: the share of those students whose first attempt scored
--   full marks (scaled_score >= 1). A student's first attempt is the one with the lowest
--   activity_attempt_number in the range (a missing number sorts last), then the
--   earliest timestamp, then the lowest event id.
-- attempts_until_success: the mean, over students who reached full marks, of the lowest
--   activity_attempt_number among their attempts with full marks. Attempts without a
--   number are left out of it, and it is NULL when no student reached full marks.
-- hints: hints_requested summed over the activity's part attempts.
-- hints_per_attempt: hints / attempts.
-- The top-N activities by attempts are kept, ties broken by activity id.
WITH per_student AS (
    SELECT
        activity_id,
        user_id,
        countIf(event_type = 'activity_attempt') AS student_attempts,
        argMinIf(
            scaled_score,
            (ifNull(activity_attempt_number, 4294967295), timestamp, event_id),
            event_type = 'activity_attempt'
        ) AS first_scaled_score,
        minIf(activity_attempt_number, event_type = 'activity_attempt' AND scaled_score >= 1) AS success_attempt_number,
        sumIf(ifNull(hints_requested, 0), event_type = 'part_attempt') AS student_hints
    FROM events
    WHERE {scope} AND {range}
      AND activity_id IS NOT NULL
      AND ((event_type = 'activity_attempt' AND scaled_score IS NOT NULL) OR event_type = 'part_attempt')
    GROUP BY activity_id, user_id
)
SELECT
    activity_id,
    sum(student_attempts) AS attempts,
    countIf(student_attempts > 0) AS students,
    countIf(student_attempts > 0 AND first_scaled_score >= 1) / students AS first_attempt_correct_rate,
    countIf(success_attempt_number IS NOT NULL) AS students_succeeded,
    avg(success_attempt_number) AS attempts_until_success,
    sum(student_hints) AS hints,
    hints / attempts AS hints_per_attempt
FROM per_student
GROUP BY activity_id
HAVING attempts > 0
ORDER BY attempts DESC, activity_id
LIMIT {top_n:UInt64}
