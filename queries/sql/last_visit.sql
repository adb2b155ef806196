-- last_visit: the latest 走访日期 of the children of the villages under :roots inside :scope (parent links),
-- when the kept rows do not hold it (none in the kept months, or no kept measures): each child's latest visit
-- by the (child, date) index, one probe per child in scope — bounded by the scope's children, where walking the
-- visits newest first until one falls in scope read every later visit of the province for a county whose
-- ledger stopped a year ago.
SELECT MAX((SELECT MAX(v.visited_on) FROM visit v WHERE v.child_hash = ch.id_hash)) AS last_visit
FROM child ch
WHERE ch.village_code IN (SELECT u.descendant FROM region_closure u WHERE u.ancestor IN :roots)
  AND ch.village_code IN (SELECT s.descendant FROM region_closure s WHERE s.ancestor IN :scope)
