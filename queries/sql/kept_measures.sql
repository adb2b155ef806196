-- kept_measures: per target region and period, every kept measure of the rows of day kept_day (data/kept.py: the
-- month's last day, or a kept Sunday; a family with no row kept reads as 0), the year-to-date enrolment counts
-- of the month-end row cohort_day (the whole months of [Y, E - 30 days]) and, from the child table, the
-- enrolments of the cutoff's own month up to its day (window_from .. window_to) with those assessed on time. One statement: the engine derives the shown
-- measures (the visit rule, the cutoff) from these columns (queries.engine._kept_pass).
-- The window holds a few days of enrolments: MATERIALIZED and CROSS JOIN make both engines read them by the
-- enrolment index first, then climb the closure to the targets (the other way round, SQLite walked every
-- descendant of every target).
WITH window_children AS MATERIALIZED (
  SELECT p.period_id, ch.village_code,
    CASE WHEN ch.risk_assessed_on <= ch.assessment_due_on
          AND ch.need_assessed_on <= ch.assessment_due_on THEN 1 ELSE 0 END AS on_time
  FROM period p
  CROSS JOIN child ch
  WHERE ch.enrolled_on BETWEEN p.window_from AND p.window_to
),
window_counts AS (
  SELECT w.period_id, c.ancestor AS code, COUNT(*) AS window_due, SUM(w.on_time) AS window_on_time
  FROM window_children w
  CROSS JOIN region_closure c
  CROSS JOIN target t
  WHERE c.descendant = w.village_code AND t.code = c.ancestor
  GROUP BY w.period_id, c.ancestor
)
SELECT p.period_id, t.code AS target_code, t.name AS region_name,
  kch.*, kvi.*, kne.*, kwo.*, kfu.*,
  kc.enrolled_ytd AS cohort_due, kc.on_time_ytd AS cohort_on_time,
  wc.window_due, wc.window_on_time
FROM target t
CROSS JOIN period p
LEFT JOIN kept_children kch ON kch.region_code = t.code AND kch.day = p.kept_day
LEFT JOIN kept_visits kvi ON kvi.region_code = t.code AND kvi.day = p.kept_day
LEFT JOIN kept_network kne ON kne.region_code = t.code AND kne.day = p.kept_day
LEFT JOIN kept_workforce kwo ON kwo.region_code = t.code AND kwo.day = p.kept_day
LEFT JOIN kept_funds kfu ON kfu.region_code = t.code AND kfu.day = p.kept_day
LEFT JOIN kept_children kc ON kc.region_code = t.code AND kc.day = p.cohort_day
LEFT JOIN window_counts wc ON wc.period_id = p.period_id AND wc.code = t.code
