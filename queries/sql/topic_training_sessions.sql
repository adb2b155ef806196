-- topic_training_sessions: the training sessions (one per distinct 培训日期 + 培训名称) dated from
-- :year_start to :month_end that concern the area, with their person-times (attendance rows).
-- In scope means: the attendee held a post (儿童主任 or 儿童督导员) on the day of the training in a
-- region under :roots inside :scope (parent links). A session counts for the area if at least one
-- attendee was in scope; its person-times count only those attendees, so that a city-wide session
-- is split among the counties whose workers attended. Someone holding two posts in scope counts once.
SELECT tr.trained_on, tr.course,
  MAX(tr.host_level) AS host_level,
  COUNT(*) AS person_times,
  SUM(COALESCE(tr.hours, 0)) AS hours
FROM training tr
WHERE tr.trained_on BETWEEN :year_start AND :month_end
  AND EXISTS (SELECT 1 FROM worker_post p
               WHERE p.person_hash = tr.person_hash
                 AND p.started_on <= tr.trained_on
                 AND (p.ended_on IS NULL OR p.ended_on > tr.trained_on)
                 AND p.region_code IN (SELECT u.descendant FROM region_closure u WHERE u.ancestor IN :roots)
                 AND p.region_code IN (SELECT s.descendant FROM region_closure s WHERE s.ancestor IN :scope))
GROUP BY tr.trained_on, tr.course
ORDER BY tr.trained_on, tr.course
