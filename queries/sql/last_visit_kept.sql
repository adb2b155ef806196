-- last_visit_kept: the latest visit day (a day number, data/measures.py; 0 or null for none) in the kept months
-- under :roots inside :scope, from the kept visit rows (queries.catalog.last_visit). The two subtrees meet in
-- the roots that lie inside the scope and the scope's codes that lie inside the roots (parent links, self
-- included). Every region of every level, villages at month ends, has a kept visit row for each month with a
-- visit, so the maximum over the units' rows is the latest visit of the kept range: a few dozen rows.
SELECT MAX(k.visit_last_day) AS last_day
FROM kept_visits k
WHERE k.region_code IN (
  SELECT r.descendant FROM region_closure r
  WHERE (r.descendant IN :roots AND r.ancestor IN :scope)
     OR (r.descendant IN :scope AND r.ancestor IN :roots)
)
