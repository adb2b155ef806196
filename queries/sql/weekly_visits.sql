-- weekly_visits: per region of the CTE `target` (townships, or counties for a city's chart), the
-- visits dated in the picked ISO week [:week_start, :week_end] (Monday to Sunday, both days
-- included: visits carry a date, no time) and in the week before [:prev_start, :prev_end], with
-- the parent's name. A visit counts for the region of the visited child's village (parent links
-- through region_closure, as 走访完成率 does); every logged visit counts, whatever its mode.
SELECT t.code AS region_code, t.name AS region_name, p.name AS county_name,
  COALESCE(SUM(v.this_week), 0) AS visits_this_week,
  COALESCE(SUM(v.last_week), 0) AS visits_last_week
FROM target t
JOIN region r ON r.code = t.code
LEFT JOIN region p ON p.code = r.parent_code
LEFT JOIN region_closure c ON c.ancestor = t.code
LEFT JOIN child ch ON ch.village_code = c.descendant
LEFT JOIN (
  SELECT child_hash,
    SUM(CASE WHEN visited_on >= :week_start THEN 1 ELSE 0 END) AS this_week,
    SUM(CASE WHEN visited_on <= :prev_end THEN 1 ELSE 0 END) AS last_week
  FROM visit
  WHERE visited_on BETWEEN :prev_start AND :week_end
  GROUP BY child_hash
) v ON v.child_hash = ch.id_hash
GROUP BY t.code, t.name, p.name
ORDER BY t.code
