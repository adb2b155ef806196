-- kept_visit_parts: per target region and period, the kept visit columns of the row of day kept_day
-- (data/kept.py; no row kept reads as 0): the parts the weekly review subtracts Sunday from Sunday and the
-- 走访 page's villages count their unvisited children from (queries.engine.visit_parts).
SELECT p.period_id, t.code AS target_code, t.name AS region_name, kvi.*
FROM target t
CROSS JOIN period p
LEFT JOIN kept_visits kvi ON kvi.region_code = t.code AND kvi.day = p.kept_day
