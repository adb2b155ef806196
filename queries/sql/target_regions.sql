-- target_regions: the target regions themselves with their names, once per period, so that a
-- region with nothing loaded still gets a row (all its counts 0).
SELECT p.period_id, t.code AS region_code, t.name AS region_name
FROM target t
CROSS JOIN period p
