-- target_regions: the target regions themselves with their names, so that a region with nothing
-- loaded still gets a row (all its counts 0).
SELECT t.code AS region_code, t.name AS region_name
FROM target t
