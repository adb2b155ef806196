-- funds: per target region and period, the year's budget and the spending from January to the
-- period's month, summed over the county-level units under it (via the closure table). Each county's sums
-- are taken first (a few thousand rows), then added up from the targets down the closure: grouping every
-- county's rows under each of its ancestors first cost a city's 6,161 villages 0.2 s on SQLite.
WITH county_budget AS MATERIALIZED (
  SELECT bu.county_code, pb.period_id, SUM(bu.amount) AS amount
  FROM budget bu
  JOIN period pb ON bu.year = pb.year
  GROUP BY bu.county_code, pb.period_id
),
county_spent AS MATERIALIZED (
  SELECT sp.county_code, ps.period_id, SUM(sp.amount) AS amount
  FROM spending sp
  JOIN period ps ON sp.month_start BETWEEN ps.year_start AND ps.spend_until
  GROUP BY sp.county_code, ps.period_id
)
SELECT p.period_id, t.code AS region_code,
  COALESCE(SUM(b.amount), 0) AS fund_budget,
  COALESCE(SUM(s.amount), 0) AS fund_spent_ytd
FROM target t
CROSS JOIN period p
JOIN region_closure c ON c.ancestor = t.code
LEFT JOIN county_budget b ON b.county_code = c.descendant AND b.period_id = p.period_id
LEFT JOIN county_spent s ON s.county_code = c.descendant AND s.period_id = p.period_id
GROUP BY p.period_id, t.code
