-- regions: every region of :level under :roots inside the caller's :scope (the CTE `target`), with its
-- parent, for pickers and maps.
SELECT r.code AS region_code, r.name AS region_name, r.level, r.parent_code, r.minor_population
FROM target t
JOIN region r ON r.code = t.code
ORDER BY r.code
