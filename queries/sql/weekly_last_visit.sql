-- weekly_last_visit: for the regions :codes of the CTE `target` (the townships found silent from the kept
-- measures), the last visit dated in the look-back [:lookback_from, :week_end], as weekly_silent.sql gives it.
-- A handful of townships: their children and visits are found by index.
SELECT t.code AS region_code, MAX(v.visited_on) AS last_visit
FROM target t
JOIN region_closure c ON c.ancestor = t.code
JOIN child ch ON ch.village_code = c.descendant
JOIN visit v ON v.child_hash = ch.id_hash AND v.visited_on BETWEEN :lookback_from AND :week_end
WHERE t.code IN :codes
GROUP BY t.code
