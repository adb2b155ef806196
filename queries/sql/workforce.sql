-- workforce: per target region, distinct persons with an active post in it at :month_end, those
-- holding a certificate (any of their rows says 是) and those trained between :year_start and :month_end.
SELECT a.region_code,
  COUNT(*) AS workers,
  SUM(CASE WHEN cert.person_hash IS NOT NULL THEN 1 ELSE 0 END) AS workers_certified,
  SUM(CASE WHEN tr.person_hash IS NOT NULL THEN 1 ELSE 0 END) AS workers_trained
FROM (
  SELECT DISTINCT t.code AS region_code, p.person_hash
  FROM target t
  JOIN region_closure c ON c.ancestor = t.code
  JOIN worker_post p ON p.region_code = c.descendant
  WHERE p.started_on <= :month_end AND (p.ended_on IS NULL OR p.ended_on > :month_end)
) a
LEFT JOIN (SELECT DISTINCT person_hash FROM worker_post WHERE certified) cert
       ON cert.person_hash = a.person_hash
LEFT JOIN (SELECT DISTINCT person_hash FROM training
           WHERE trained_on BETWEEN :year_start AND :month_end) tr
       ON tr.person_hash = a.person_hash
GROUP BY a.region_code
