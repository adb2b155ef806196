-- reporting_visits: per unit of the CTE `target`, the latest 走访日期 on or before :as_of and the visits
-- dated in [:month_start, :as_of]. A visit belongs to the unit of the visited child's village (as in
-- weekly_silent); visits are summed per child first so the big table is read once. The LEFT JOINs keep
-- SQLite walking from the units down: joined the other way round it checks every unit for every child.
SELECT t.code AS region_code, MAX(v.last_on) AS last_on, SUM(v.month_rows) AS month_rows
FROM target t
LEFT JOIN region_closure c ON c.ancestor = t.code
LEFT JOIN child ch ON ch.village_code = c.descendant
LEFT JOIN (
  SELECT child_hash, MAX(visited_on) AS last_on,
    SUM(CASE WHEN visited_on >= :month_start THEN 1 ELSE 0 END) AS month_rows
  FROM visit
  WHERE visited_on <= :as_of
  GROUP BY child_hash
) v ON v.child_hash = ch.id_hash
GROUP BY t.code
