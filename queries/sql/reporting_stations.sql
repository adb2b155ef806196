-- reporting_stations: per unit of the CTE `target`, the latest 建成日期 on or before :as_of of the
-- stations in it or under it, and how many were built in [:month_start, :as_of].
SELECT t.code AS region_code, MAX(s.built_on) AS last_on,
  SUM(CASE WHEN s.built_on >= :month_start THEN 1 ELSE 0 END) AS month_rows
FROM target t
JOIN region_closure c ON c.ancestor = t.code
JOIN station s ON s.region_code = c.descendant
WHERE s.built_on <= :as_of
GROUP BY t.code
