-- topic_network_station_gaps: regions of :unit_level under :roots inside :scope (parent links) with
-- no active station of :kind at :month_end (建成日期 ≤ E and 撤销日期 blank or > E) — the complement
-- of network.sql's numerator. Codes and names only, with the parent and grandparent names for the
-- list, and the last closing date of such a station if one ever closed there.
-- Parent names only where the parent lies inside :scope: a county viewer gets no name above its county.
SELECT r.code AS region_code, r.name AS region_name,
  p.name AS parent_name, g.name AS grandparent_name,
  (SELECT MAX(x.closed_on) FROM station x
    WHERE x.kind = :kind AND x.region_code = r.code AND x.closed_on <= :month_end) AS last_ended
FROM region r
LEFT JOIN region p ON p.code = r.parent_code
  AND p.code IN (SELECT xs.descendant FROM region_closure xs WHERE xs.ancestor IN :scope)
LEFT JOIN region g ON g.code = p.parent_code
  AND g.code IN (SELECT xs.descendant FROM region_closure xs WHERE xs.ancestor IN :scope)
WHERE r.level = :unit_level
  AND r.code IN (SELECT u.descendant FROM region_closure u WHERE u.ancestor IN :roots)
  AND r.code IN (SELECT s.descendant FROM region_closure s WHERE s.ancestor IN :scope)
  AND NOT EXISTS (SELECT 1 FROM station a
                   WHERE a.kind = :kind AND a.region_code = r.code AND a.built_on <= :month_end
                     AND (a.closed_on IS NULL OR a.closed_on > :month_end))
ORDER BY r.code
