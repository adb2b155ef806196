-- targets_villages: targets.sql for the village level — the villages under :roots (parent links) that lie
-- inside the caller's :scope — found from the roots' descendants, since a region level of tens of thousands
-- is too many to probe one by one when the roots are a township or a county.
SELECT r.code, r.name
FROM region r
WHERE r.level = :level
  AND r.code IN (SELECT u.descendant FROM region_closure u WHERE u.ancestor IN :roots)
  AND r.code IN (SELECT s.descendant FROM region_closure s WHERE s.ancestor IN :scope)
