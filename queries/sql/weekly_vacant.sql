-- weekly_vacant: villages under :roots inside the caller's :scope whose child-director post is
-- vacant on the week's Sunday (:week_end): no 儿童主任 post active then (任职日期 ≤ Sunday and
-- 离任日期 blank or after Sunday — the rule of 儿童主任配备率, so a post ending on Sunday itself
-- leaves the village vacant on Sunday). With the township and county above it (parent links) and
-- the day the last director left (null when the village has had no director up to Sunday).
-- Parent names only where the parent lies inside :scope: a county viewer gets no name above its county.
SELECT v.code AS village_code, v.name AS village_name,
  tw.code AS township_code, tw.name AS township_name, co.name AS county_name,
  (SELECT MAX(p.ended_on) FROM worker_post p
    WHERE p.post = 'director' AND p.region_code = v.code AND p.ended_on <= :week_end) AS last_left
FROM region v
LEFT JOIN region tw ON tw.code = v.parent_code
  AND tw.code IN (SELECT xs.descendant FROM region_closure xs WHERE xs.ancestor IN :scope)
LEFT JOIN region co ON co.code = tw.parent_code
  AND co.code IN (SELECT xs.descendant FROM region_closure xs WHERE xs.ancestor IN :scope)
WHERE v.level = 'village'
  AND v.code IN (SELECT u.descendant FROM region_closure u WHERE u.ancestor IN :roots)
  AND v.code IN (SELECT s.descendant FROM region_closure s WHERE s.ancestor IN :scope)
  AND NOT EXISTS (
    SELECT 1 FROM worker_post a
    WHERE a.post = 'director' AND a.region_code = v.code
      AND a.started_on <= :week_end AND (a.ended_on IS NULL OR a.ended_on > :week_end))
ORDER BY v.code
