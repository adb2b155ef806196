-- funds: per target region and period, the year's budget and the spending from January to the
-- period's month, summed over the county-level units under it (via the closure table).
SELECT p.period_id, t.code AS region_code,
  COALESCE(b.amount, 0) AS fund_budget,
  COALESCE(s.amount, 0) AS fund_spent_ytd
FROM target t
CROSS JOIN period p
LEFT JOIN (
  SELECT c.ancestor, pb.period_id, SUM(bu.amount) AS amount
  FROM budget bu
  JOIN region_closure c ON c.descendant = bu.county_code
  JOIN period pb ON bu.year = pb.year
  GROUP BY c.ancestor, pb.period_id
) b ON b.ancestor = t.code AND b.period_id = p.period_id
LEFT JOIN (
  SELECT c.ancestor, ps.period_id, SUM(sp.amount) AS amount
  FROM spending sp
  JOIN region_closure c ON c.descendant = sp.county_code
  JOIN period ps ON sp.month_start BETWEEN ps.year_start AND ps.spend_until
  GROUP BY c.ancestor, ps.period_id
) s ON s.ancestor = t.code AND s.period_id = p.period_id
