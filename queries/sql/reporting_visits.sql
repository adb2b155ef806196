-- reporting_visits: per unit of the CTE `target`, the latest 走访日期 on or before :as_of and the visits
-- dated in [:month_start, :as_of]. A visit belongs to the unit of the visited child's village (as in
-- weekly_silent). Each child's visits are found by the (child, date) index — two seeks a child — instead of
-- grouping the whole visit table first (ten million rows at province scale, 4 s). The LEFT JOINs keep SQLite
-- walking from the units down and give a unit with no child a row.
SELECT t.code AS region_code,
  MAX((SELECT MAX(v.visited_on) FROM visit v
        WHERE v.child_hash = ch.id_hash AND v.visited_on <= :as_of)) AS last_on,
  SUM((SELECT COUNT(*) FROM visit v
        WHERE v.child_hash = ch.id_hash AND v.visited_on BETWEEN :month_start AND :as_of)) AS month_rows
FROM target t
LEFT JOIN region_closure c ON c.ancestor = t.code
LEFT JOIN child ch ON ch.village_code = c.descendant
GROUP BY t.code
