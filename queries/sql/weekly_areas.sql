-- weekly_areas: the regions of the CTE `target` (townships, or counties for a city's chart) with their
-- parent's name, for the weekly review's tables when their figures come from the kept measures
-- (queries/weekly.py). Parent names only where the parent lies inside :scope, as in weekly_visits.sql.
SELECT t.code AS region_code, t.name AS region_name, p.name AS county_name
FROM target t
JOIN region r ON r.code = t.code
LEFT JOIN region p ON p.code = r.parent_code
  AND p.code IN (SELECT xs.descendant FROM region_closure xs WHERE xs.ancestor IN :scope)
ORDER BY t.code
