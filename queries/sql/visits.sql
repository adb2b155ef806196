-- visits: per target region, children on the roll at :month_end whose visits dated within the
-- month reach the number required for their risk level (:need_red … :need_unassessed).
SELECT t.code AS region_code,
  SUM(CASE WHEN COALESCE(v.visits, 0) >= CASE ch.risk_level
          WHEN 'red' THEN :need_red WHEN 'orange' THEN :need_orange
          WHEN 'yellow' THEN :need_yellow WHEN 'green' THEN :need_green
          ELSE :need_unassessed END
      THEN 1 ELSE 0 END) AS children_visited
FROM target t
JOIN region_closure c ON c.ancestor = t.code
JOIN child ch ON ch.village_code = c.descendant
LEFT JOIN (
  SELECT child_hash, COUNT(*) AS visits
  FROM visit
  WHERE visited_on BETWEEN :month_start AND :month_end
  GROUP BY child_hash
) v ON v.child_hash = ch.id_hash
WHERE ch.enrolled_on <= :month_end AND (ch.exited_on IS NULL OR ch.exited_on > :month_end)
GROUP BY t.code
