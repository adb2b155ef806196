-- funds: per target region and period, the year's budget and the spending from January to the
-- period's month, summed over the county-level units under it.
SELECT p.period_id, t.code AS region_code,
  (SELECT COALESCE(SUM(b.amount), 0) FROM budget b
     JOIN region_closure c ON c.descendant = b.county_code AND c.ancestor = t.code
    WHERE b.year = p.year) AS fund_budget,
  (SELECT COALESCE(SUM(s.amount), 0) FROM spending s
     JOIN region_closure c ON c.descendant = s.county_code AND c.ancestor = t.code
    WHERE s.month_start BETWEEN p.year_start AND p.spend_until) AS fund_spent_ytd
FROM target t
CROSS JOIN period p
