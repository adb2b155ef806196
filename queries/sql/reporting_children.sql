-- reporting_children: per unit of the CTE `target`, the latest 纳入日期 on or before :as_of of the
-- children whose village lies under it, and how many were enrolled in [:month_start, :as_of].
SELECT t.code AS region_code, MAX(ch.enrolled_on) AS last_on,
  SUM(CASE WHEN ch.enrolled_on >= :month_start THEN 1 ELSE 0 END) AS month_rows
FROM target t
JOIN region_closure c ON c.ancestor = t.code
JOIN child ch ON ch.village_code = c.descendant
WHERE ch.enrolled_on <= :as_of
GROUP BY t.code
