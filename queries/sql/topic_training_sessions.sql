-- topic_training_sessions: the training sessions (one per distinct 培训日期 + 培训名称) dated from
-- :year_start to :month_end that concern the area, with their person-times (attendance rows).
-- In scope means: the attendee held a post (儿童主任 or 儿童督导员) on the day of the training in a
-- region under :roots inside :scope (parent links). A session counts for the area if at least one
-- attendee was in scope; its person-times count only those attendees, so that a city-wide session
-- is split among the counties whose workers attended. Someone holding two posts in scope counts once.
-- Found from the posts under the roots (each post's person's trainings of the year by the (person, date)
-- index), not from every training of the year in the province checked against its attendee's posts: a city
-- reads its own few thousand posts. DISTINCT keeps one row per attendance (the table's key and its values)
-- when the person held two posts in scope that day.
WITH attended AS (
  SELECT DISTINCT tr.trained_on, tr.course, tr.person_hash, tr.host_level, tr.hours
  FROM region_closure u
  CROSS JOIN worker_post p
  CROSS JOIN training tr
  WHERE u.ancestor IN :roots
    AND p.region_code = u.descendant
    AND p.region_code IN (SELECT s.descendant FROM region_closure s WHERE s.ancestor IN :scope)
    AND tr.person_hash = p.person_hash
    AND tr.trained_on BETWEEN :year_start AND :month_end
    AND p.started_on <= tr.trained_on
    AND (p.ended_on IS NULL OR p.ended_on > tr.trained_on)
)
SELECT a.trained_on, a.course,
  MAX(a.host_level) AS host_level,
  COUNT(*) AS person_times,
  SUM(COALESCE(a.hours, 0)) AS hours
FROM attended a
GROUP BY a.trained_on, a.course
ORDER BY a.trained_on, a.course
