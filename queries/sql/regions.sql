-- regions: every region of :level under :roots inside the caller's :scope, with its parent, for
-- pickers and maps.
SELECT r.code AS region_code, r.name AS region_name, r.level, r.parent_code, r.minor_population
FROM region r
WHERE r.level = :level
  AND r.code IN (SELECT u.descendant FROM region_closure u WHERE u.ancestor IN :roots)
  AND r.code IN (SELECT s.descendant FROM region_closure s WHERE s.ancestor IN :scope)
ORDER BY r.code
