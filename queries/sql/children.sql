-- children: per target region and period, children on the roll at the period's end E (by
-- category), enrolled and exited within the period, and the assessment-timeliness counts for the
-- year to date (enrolled in [Y, E - 30 days], both assessments on or before enrolment + 30 days).
SELECT p.period_id, t.code AS region_code,
  SUM(CASE WHEN ch.enrolled_on <= p.month_end AND (ch.exited_on IS NULL OR ch.exited_on > p.month_end) THEN 1 ELSE 0 END) AS children_total,
  SUM(CASE WHEN ch.category = 'orphan' AND ch.enrolled_on <= p.month_end AND (ch.exited_on IS NULL OR ch.exited_on > p.month_end) THEN 1 ELSE 0 END) AS children_orphan,
  SUM(CASE WHEN ch.category = 'unsupported' AND ch.enrolled_on <= p.month_end AND (ch.exited_on IS NULL OR ch.exited_on > p.month_end) THEN 1 ELSE 0 END) AS children_unsupported,
  SUM(CASE WHEN ch.category = 'disabled_ill' AND ch.enrolled_on <= p.month_end AND (ch.exited_on IS NULL OR ch.exited_on > p.month_end) THEN 1 ELSE 0 END) AS children_disabled_ill,
  SUM(CASE WHEN ch.category = 'dibao' AND ch.enrolled_on <= p.month_end AND (ch.exited_on IS NULL OR ch.exited_on > p.month_end) THEN 1 ELSE 0 END) AS children_dibao,
  SUM(CASE WHEN ch.category = 'other_difficulty' AND ch.enrolled_on <= p.month_end AND (ch.exited_on IS NULL OR ch.exited_on > p.month_end) THEN 1 ELSE 0 END) AS children_other_difficulty,
  SUM(CASE WHEN ch.category = 'left_behind' AND ch.enrolled_on <= p.month_end AND (ch.exited_on IS NULL OR ch.exited_on > p.month_end) THEN 1 ELSE 0 END) AS children_left_behind,
  SUM(CASE WHEN ch.enrolled_on BETWEEN p.month_start AND p.month_end THEN 1 ELSE 0 END) AS children_new,
  SUM(CASE WHEN ch.exited_on BETWEEN p.month_start AND p.month_end THEN 1 ELSE 0 END) AS children_exited,
  SUM(CASE WHEN ch.enrolled_on BETWEEN p.year_start AND p.due_cutoff THEN 1 ELSE 0 END) AS assessment_due,
  SUM(CASE WHEN ch.enrolled_on BETWEEN p.year_start AND p.due_cutoff
            AND ch.risk_assessed_on <= ch.assessment_due_on
            AND ch.need_assessed_on <= ch.assessment_due_on THEN 1 ELSE 0 END) AS assessed_on_time
FROM target t
JOIN region_closure c ON c.ancestor = t.code
JOIN child ch ON ch.village_code = c.descendant
CROSS JOIN period p
GROUP BY p.period_id, t.code
