-- topic_network_post_gaps: regions of :unit_level under :roots inside :scope (parent links) with
-- nobody in post :post at :month_end (任职日期 ≤ E and 离任日期 blank or > E) — the complement of
-- network.sql's numerator. Codes and names only (never the person), the parent and grandparent
-- names, and the day the last such post there ended (blank: never filled), to show how long vacant.
-- Parent names only where the parent lies inside :scope: a county viewer gets no name above its county.
SELECT r.code AS region_code, r.name AS region_name,
  p.name AS parent_name, g.name AS grandparent_name,
  (SELECT MAX(x.ended_on) FROM worker_post x
    WHERE x.post = :post AND x.region_code = r.code AND x.ended_on <= :month_end) AS last_ended
FROM region r
LEFT JOIN region p ON p.code = r.parent_code
  AND p.code IN (SELECT xs.descendant FROM region_closure xs WHERE xs.ancestor IN :scope)
LEFT JOIN region g ON g.code = p.parent_code
  AND g.code IN (SELECT xs.descendant FROM region_closure xs WHERE xs.ancestor IN :scope)
WHERE r.level = :unit_level
  AND r.code IN (SELECT u.descendant FROM region_closure u WHERE u.ancestor IN :roots)
  AND r.code IN (SELECT s.descendant FROM region_closure s WHERE s.ancestor IN :scope)
  AND NOT EXISTS (SELECT 1 FROM worker_post a
                   WHERE a.post = :post AND a.region_code = r.code AND a.started_on <= :month_end
                     AND (a.ended_on IS NULL OR a.ended_on > :month_end))
ORDER BY r.code
