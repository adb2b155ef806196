-- weekly_silent: per township of the CTE `target`, the visits dated in the 14 days up to the
-- week's Sunday [:silent_from, :week_end] (:silent_from = Sunday − 13 days) and the last visit
-- dated in the look-back [:lookback_from, :week_end]; queries/weekly.py keeps the townships with
-- no visit in the 14 days. A visit belongs to the township of the visited child's village.
SELECT t.code AS region_code, t.name AS region_name, p.name AS county_name,
  COALESCE(SUM(v.recent), 0) AS visits_14d,
  MAX(v.last_visit) AS last_visit
FROM target t
JOIN region r ON r.code = t.code
LEFT JOIN region p ON p.code = r.parent_code
LEFT JOIN region_closure c ON c.ancestor = t.code
LEFT JOIN child ch ON ch.village_code = c.descendant
LEFT JOIN (
  SELECT child_hash,
    SUM(CASE WHEN visited_on >= :silent_from THEN 1 ELSE 0 END) AS recent,
    MAX(visited_on) AS last_visit
  FROM visit
  WHERE visited_on BETWEEN :lookback_from AND :week_end
  GROUP BY child_hash
) v ON v.child_hash = ch.id_hash
GROUP BY t.code, t.name, p.name
ORDER BY t.code
