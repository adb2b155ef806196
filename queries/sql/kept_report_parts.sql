-- kept_report_parts: per target region and period, the kept columns 各单位报送情况 reads for new children and
-- training from the rows of day kept_day (data/kept.py; no row kept reads as 0, i.e. none): the children
-- enrolled in the period and the latest 纳入日期 on or before its day, the persons trained in the period and
-- the latest 培训日期 (queries.engine.report_parts, queries.reporting.per_unit).
SELECT p.period_id, t.code AS target_code,
  kch.children_new, kch.enrolled_last_day, kwo.trained_in_period, kwo.training_last_day
FROM target t
CROSS JOIN period p
LEFT JOIN kept_children kch ON kch.region_code = t.code AND kch.day = p.kept_day
LEFT JOIN kept_workforce kwo ON kwo.region_code = t.code AND kwo.day = p.kept_day
