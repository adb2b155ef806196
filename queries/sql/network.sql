-- network: per target region, the units that exist (from the region table) at each level and
-- those with an active station or an active post at :month_end.
SELECT t.code AS region_code,
  SUM(CASE WHEN u.level = 'county' THEN 1 ELSE 0 END) AS counties,
  SUM(CASE WHEN u.level = 'county' AND centre.region_code IS NOT NULL THEN 1 ELSE 0 END) AS counties_with_centre,
  SUM(CASE WHEN u.level = 'township' THEN 1 ELSE 0 END) AS townships,
  SUM(CASE WHEN u.level = 'township' AND ws.region_code IS NOT NULL THEN 1 ELSE 0 END) AS townships_with_station,
  SUM(CASE WHEN u.level = 'township' AND sup.region_code IS NOT NULL THEN 1 ELSE 0 END) AS townships_with_supervisor,
  SUM(CASE WHEN u.level = 'village' THEN 1 ELSE 0 END) AS villages,
  SUM(CASE WHEN u.level = 'village' AND home.region_code IS NOT NULL THEN 1 ELSE 0 END) AS villages_with_home,
  SUM(CASE WHEN u.level = 'village' AND dir.region_code IS NOT NULL THEN 1 ELSE 0 END) AS villages_with_director
FROM target t
JOIN region_closure c ON c.ancestor = t.code
JOIN region u ON u.code = c.descendant
LEFT JOIN (SELECT DISTINCT region_code FROM station WHERE kind = 'centre'
           AND built_on <= :month_end AND (closed_on IS NULL OR closed_on > :month_end)) centre
       ON centre.region_code = u.code
LEFT JOIN (SELECT DISTINCT region_code FROM station WHERE kind = 'workstation'
           AND built_on <= :month_end AND (closed_on IS NULL OR closed_on > :month_end)) ws
       ON ws.region_code = u.code
LEFT JOIN (SELECT DISTINCT region_code FROM station WHERE kind = 'home'
           AND built_on <= :month_end AND (closed_on IS NULL OR closed_on > :month_end)) home
       ON home.region_code = u.code
LEFT JOIN (SELECT DISTINCT region_code FROM worker_post WHERE post = 'supervisor'
           AND started_on <= :month_end AND (ended_on IS NULL OR ended_on > :month_end)) sup
       ON sup.region_code = u.code
LEFT JOIN (SELECT DISTINCT region_code FROM worker_post WHERE post = 'director'
           AND started_on <= :month_end AND (ended_on IS NULL OR ended_on > :month_end)) dir
       ON dir.region_code = u.code
GROUP BY t.code
