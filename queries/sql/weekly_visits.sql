-- weekly_visits: per region of the CTE `target` (townships, or counties for a city's chart), the
-- visits dated in the picked ISO week [:week_start, :week_end] (Monday to Sunday, both days
-- included: visits carry a date, no time) and in the week before [:prev_start, :prev_end], with
-- the parent's name. A visit counts for the region of the visited child's village (parent links
-- through region_closure, as 走访完成率 does); every logged visit counts, whatever its mode.
-- Visit rows are joined to their child as they are (index ix_visit_child_date), not pre-aggregated per
-- child and then joined: PostgreSQL, planning without statistics or with a generic plan (psycopg
-- prepares a statement run 5 times), rescanned such an aggregate for every child.
-- Parent names only where the parent lies inside :scope: a county viewer gets no name above its county.
SELECT t.code AS region_code, t.name AS region_name, p.name AS county_name,
  SUM(CASE WHEN v.visited_on >= :week_start THEN 1 ELSE 0 END) AS visits_this_week,
  SUM(CASE WHEN v.visited_on <= :prev_end THEN 1 ELSE 0 END) AS visits_last_week
FROM target t
JOIN region r ON r.code = t.code
LEFT JOIN region p ON p.code = r.parent_code
  AND p.code IN (SELECT xs.descendant FROM region_closure xs WHERE xs.ancestor IN :scope)
LEFT JOIN region_closure c ON c.ancestor = t.code
LEFT JOIN child ch ON ch.village_code = c.descendant
LEFT JOIN visit v ON v.child_hash = ch.id_hash AND v.visited_on BETWEEN :prev_start AND :week_end
GROUP BY t.code, t.name, p.name
ORDER BY t.code
