-- reporting_workers: per unit of the CTE `target`, the latest 任职日期 on or before :as_of of the posts
-- held in it or in a region under it, and how many posts started in [:month_start, :as_of].
SELECT t.code AS region_code, MAX(w.started_on) AS last_on,
  SUM(CASE WHEN w.started_on >= :month_start THEN 1 ELSE 0 END) AS month_rows
FROM target t
JOIN region_closure c ON c.ancestor = t.code
JOIN worker_post w ON w.region_code = c.descendant
WHERE w.started_on <= :as_of
GROUP BY t.code
