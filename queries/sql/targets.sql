-- targets: the regions of :level under :roots (parent links, self included) that lie inside the
-- caller's scope (:scope, the region codes the caller may see, and everything under them).
-- Every family query runs with this as the CTE `target`.
SELECT r.code, r.name
FROM region r
WHERE r.level = :level
  AND r.code IN (SELECT u.descendant FROM region_closure u WHERE u.ancestor IN :roots)
  AND r.code IN (SELECT s.descendant FROM region_closure s WHERE s.ancestor IN :scope)
