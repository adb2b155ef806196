-- workforce: per target region and period, distinct persons with an active post in it at E, those
-- holding a certificate (any of their rows says 是) and those trained between Y and E.
SELECT a.period_id, a.region_code,
  COUNT(*) AS workers,
  SUM(CASE WHEN cert.person_hash IS NOT NULL THEN 1 ELSE 0 END) AS workers_certified,
  SUM(CASE WHEN tr.person_hash IS NOT NULL THEN 1 ELSE 0 END) AS workers_trained
FROM (
  SELECT DISTINCT p.period_id, t.code AS region_code, wp.person_hash
  FROM target t
  JOIN region_closure c ON c.ancestor = t.code
  JOIN worker_post wp ON wp.region_code = c.descendant
  JOIN period p ON wp.started_on <= p.month_end AND (wp.ended_on IS NULL OR wp.ended_on > p.month_end)
) a
LEFT JOIN (SELECT DISTINCT person_hash FROM worker_post WHERE certified) cert
       ON cert.person_hash = a.person_hash
LEFT JOIN (SELECT DISTINCT pt.period_id, tr0.person_hash FROM training tr0
           JOIN period pt ON tr0.trained_on BETWEEN pt.year_start AND pt.month_end) tr
       ON tr.person_hash = a.person_hash AND tr.period_id = a.period_id
GROUP BY a.period_id, a.region_code
