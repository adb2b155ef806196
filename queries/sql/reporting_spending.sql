-- reporting_spending: per unit of the CTE `target` (counties and above), the latest 年月 on or before
-- :as_of of the spending of the counties in it, and how many spending rows fall in :month_start's month.
SELECT t.code AS region_code, MAX(s.month_start) AS last_on,
  SUM(CASE WHEN s.month_start >= :month_start THEN 1 ELSE 0 END) AS month_rows
FROM target t
JOIN region_closure c ON c.ancestor = t.code
JOIN spending s ON s.county_code = c.descendant
WHERE s.month_start <= :as_of
GROUP BY t.code
