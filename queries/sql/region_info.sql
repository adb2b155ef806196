-- region_info: the regions :roots themselves (one code, as a rule) with their name, level and parent, if
-- they lie inside the caller's :scope (parent links); a region above the scope gives no row.
SELECT r.code AS region_code, r.name AS region_name, r.level, r.parent_code, r.minor_population
FROM region r
WHERE r.code IN :roots
  AND r.code IN (SELECT s.descendant FROM region_closure s WHERE s.ancestor IN :scope)
