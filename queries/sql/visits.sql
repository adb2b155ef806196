-- visits: per target region and period, children on the roll at E whose visits dated within the
-- period reach the number required for their risk level (:need_red … :need_unassessed), and the
-- visits logged for those children in the period (for the "far fewer visits than last month" checks).
SELECT p.period_id, t.code AS region_code,
  SUM(CASE WHEN COALESCE(v.visits, 0) >= CASE ch.risk_level
          WHEN 'red' THEN :need_red WHEN 'orange' THEN :need_orange
          WHEN 'yellow' THEN :need_yellow WHEN 'green' THEN :need_green
          ELSE :need_unassessed END
      THEN 1 ELSE 0 END) AS children_visited,
  SUM(COALESCE(v.visits, 0)) AS visits_logged
FROM target t
JOIN region_closure c ON c.ancestor = t.code
JOIN child ch ON ch.village_code = c.descendant
CROSS JOIN period p
LEFT JOIN (
  SELECT pv.period_id, vv.child_hash, COUNT(*) AS visits
  FROM visit vv
  JOIN period pv ON vv.visited_on BETWEEN pv.month_start AND pv.month_end
  GROUP BY pv.period_id, vv.child_hash
) v ON v.child_hash = ch.id_hash AND v.period_id = p.period_id
WHERE ch.enrolled_on <= p.month_end AND (ch.exited_on IS NULL OR ch.exited_on > p.month_end)
GROUP BY p.period_id, t.code
