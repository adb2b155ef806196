-- topic_funds_by_county: per county-level unit under :roots inside :scope (parent links) and fund
-- type: the budget of :year and the spending from :year_start to :month_start (the months January …
-- M, as funds.sql). Funds are kept only at county level. A county with no fund rows at all still
-- appears once with a blank fund_type, so that "no budget loaded" is visible.
SELECT r.code AS region_code, r.name AS region_name, f.fund_type,
  COALESCE(SUM(f.budget), 0) AS budget,
  COALESCE(SUM(f.spent), 0) AS spent
FROM region r
LEFT JOIN (
  SELECT b.county_code, b.fund_type, b.amount AS budget, 0 AS spent
  FROM budget b WHERE b.year = :year
  UNION ALL
  SELECT s.county_code, s.fund_type, 0 AS budget, s.amount AS spent
  FROM spending s WHERE s.month_start BETWEEN :year_start AND :month_start
) f ON f.county_code = r.code
WHERE r.level = 'county'
  AND r.code IN (SELECT u.descendant FROM region_closure u WHERE u.ancestor IN :roots)
  AND r.code IN (SELECT s.descendant FROM region_closure s WHERE s.ancestor IN :scope)
GROUP BY r.code, r.name, f.fund_type
ORDER BY r.code, f.fund_type
