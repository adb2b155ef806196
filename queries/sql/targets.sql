-- targets: the regions of :level under :roots (parent links, self included) that lie inside the
-- caller's scope (:scope, the region codes the caller may see, and everything under them).
-- Every family query runs with this as the CTE `target`.
-- Each region of the level is probed up the closure (descendant, ancestor index): a few thousand probes for
-- cities, counties or townships, where collecting every descendant of a province's roots read 72,000 pairs
-- twice. Villages, tens of thousands, are found from their roots instead (targets_villages.sql).
SELECT r.code, r.name
FROM region r
WHERE r.level = :level
  AND EXISTS (SELECT 1 FROM region_closure u WHERE u.descendant = r.code AND u.ancestor IN :roots)
  AND EXISTS (SELECT 1 FROM region_closure s WHERE s.descendant = r.code AND s.ancestor IN :scope)
