-- network: per target region and period, the units that exist (from the region table) at each
-- level and those with an active station or an active post at E. Stations and posts are grouped for the units
-- under the targets only, not for the whole province: 济南's 6,161 villages took 0.18–0.31 s that way.
WITH unit AS MATERIALIZED (
  SELECT t.code AS target_code, u.code, u.level
  FROM target t
  JOIN region_closure c ON c.ancestor = t.code
  JOIN region u ON u.code = c.descendant
),
unit_code AS MATERIALIZED (
  SELECT DISTINCT code FROM unit
),
unit_station AS (
  SELECT ps.period_id, st.region_code,
    SUM(CASE WHEN st.kind = 'centre' THEN 1 ELSE 0 END) AS centre,
    SUM(CASE WHEN st.kind = 'workstation' THEN 1 ELSE 0 END) AS workstation,
    SUM(CASE WHEN st.kind = 'home' THEN 1 ELSE 0 END) AS home
  FROM unit_code x
  JOIN station st ON st.region_code = x.code
  JOIN period ps ON st.built_on <= ps.month_end AND (st.closed_on IS NULL OR st.closed_on > ps.month_end)
  GROUP BY ps.period_id, st.region_code
),
unit_post AS (
  SELECT pw.period_id, wp.region_code,
    SUM(CASE WHEN wp.post = 'supervisor' THEN 1 ELSE 0 END) AS supervisor,
    SUM(CASE WHEN wp.post = 'director' THEN 1 ELSE 0 END) AS director
  FROM unit_code x
  JOIN worker_post wp ON wp.region_code = x.code
  JOIN period pw ON wp.started_on <= pw.month_end AND (wp.ended_on IS NULL OR wp.ended_on > pw.month_end)
  GROUP BY pw.period_id, wp.region_code
)
SELECT p.period_id, u.target_code AS region_code,
  SUM(CASE WHEN u.level = 'county' THEN 1 ELSE 0 END) AS counties,
  SUM(CASE WHEN u.level = 'county' AND s.centre > 0 THEN 1 ELSE 0 END) AS counties_with_centre,
  SUM(CASE WHEN u.level = 'township' THEN 1 ELSE 0 END) AS townships,
  SUM(CASE WHEN u.level = 'township' AND s.workstation > 0 THEN 1 ELSE 0 END) AS townships_with_station,
  SUM(CASE WHEN u.level = 'township' AND w.supervisor > 0 THEN 1 ELSE 0 END) AS townships_with_supervisor,
  SUM(CASE WHEN u.level = 'village' THEN 1 ELSE 0 END) AS villages,
  SUM(CASE WHEN u.level = 'village' AND s.home > 0 THEN 1 ELSE 0 END) AS villages_with_home,
  SUM(CASE WHEN u.level = 'village' AND w.director > 0 THEN 1 ELSE 0 END) AS villages_with_director
FROM unit u
CROSS JOIN period p
LEFT JOIN unit_station s ON s.region_code = u.code AND s.period_id = p.period_id
LEFT JOIN unit_post w ON w.region_code = u.code AND w.period_id = p.period_id
GROUP BY p.period_id, u.target_code
