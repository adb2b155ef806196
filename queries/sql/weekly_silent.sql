-- weekly_silent: per township of the CTE `target`, the visits dated in the 14 days up to the
-- week's Sunday [:silent_from, :week_end] (:silent_from = Sunday − 13 days) and the last visit
-- dated in the look-back [:lookback_from, :week_end]; queries/weekly.py keeps the townships with
-- no visit in the 14 days. A visit belongs to the township of the visited child's village.
-- Visit rows are joined to their child as they are (index ix_visit_child_date), not pre-aggregated per
-- child and then joined: PostgreSQL, planning without statistics or with a generic plan (psycopg
-- prepares a statement run 5 times), rescanned such an aggregate for every child.
-- Parent names only where the parent lies inside :scope: a county viewer gets no name above its county.
SELECT t.code AS region_code, t.name AS region_name, p.name AS county_name,
  SUM(CASE WHEN v.visited_on >= :silent_from THEN 1 ELSE 0 END) AS visits_14d,
  MAX(v.visited_on) AS last_visit
FROM target t
JOIN region r ON r.code = t.code
LEFT JOIN region p ON p.code = r.parent_code
  AND p.code IN (SELECT xs.descendant FROM region_closure xs WHERE xs.ancestor IN :scope)
LEFT JOIN region_closure c ON c.ancestor = t.code
LEFT JOIN child ch ON ch.village_code = c.descendant
LEFT JOIN visit v ON v.child_hash = ch.id_hash AND v.visited_on BETWEEN :lookback_from AND :week_end
GROUP BY t.code, t.name, p.name
ORDER BY t.code
