-- targets_villages: targets.sql for the village level — the villages under :roots (parent links) that lie
-- inside the caller's :scope — found from the roots' descendants (CROSS JOIN keeps SQLite walking the closure
-- first), since a region level of tens of thousands is too many to scan or probe one by one when the roots
-- are a township, a county or a city of a province. DISTINCT: roots may nest.
SELECT DISTINCT r.code, r.name
FROM region_closure u
CROSS JOIN region r
WHERE u.ancestor IN :roots
  AND r.code = u.descendant
  AND r.level = :level
  AND EXISTS (SELECT 1 FROM region_closure s WHERE s.descendant = r.code AND s.ancestor IN :scope)
