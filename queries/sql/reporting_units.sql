-- reporting_units: the units of the CTE `target` (the regions of :level under :roots inside :scope)
-- with their parent region (a township's county), so a unit with nothing loaded still gets a row.
-- Parent names only where the parent lies inside :scope: a county viewer gets no name above its county.
SELECT t.code AS region_code, t.name AS region_name, p.code AS parent_code, p.name AS parent_name
FROM target t
JOIN region r ON r.code = t.code
LEFT JOIN region p ON p.code = r.parent_code
  AND p.code IN (SELECT xs.descendant FROM region_closure xs WHERE xs.ancestor IN :scope)
ORDER BY t.code
