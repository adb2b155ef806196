-- topic_funds_monthly: spending per month from :year_start to :month_start, summed over the
-- county-level units under :roots inside :scope (parent links). Months with nothing spent have no row.
SELECT s.month_start, SUM(s.amount) AS spent
FROM spending s
WHERE s.month_start BETWEEN :year_start AND :month_start
  AND s.county_code IN (SELECT u.descendant FROM region_closure u WHERE u.ancestor IN :roots)
  AND s.county_code IN (SELECT x.descendant FROM region_closure x WHERE x.ancestor IN :scope)
GROUP BY s.month_start
ORDER BY s.month_start
