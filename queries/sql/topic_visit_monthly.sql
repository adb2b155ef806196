-- topic_visit_monthly: per target region and month k of the window (CTE `months`): children on the
-- roll at the month's end, those whose visits dated within the month reach the number required for
-- their risk level (:need_red … :need_unassessed, exactly as visits.sql), and the visits logged for
-- those children in the month (for the "far fewer visits than last month" warning).
SELECT t.code AS region_code, m.k,
  COUNT(*) AS children_total,
  SUM(CASE WHEN COALESCE(v.visits, 0) >= CASE ch.risk_level
          WHEN 'red' THEN :need_red WHEN 'orange' THEN :need_orange
          WHEN 'yellow' THEN :need_yellow WHEN 'green' THEN :need_green
          ELSE :need_unassessed END
      THEN 1 ELSE 0 END) AS children_visited,
  SUM(COALESCE(v.visits, 0)) AS visits
FROM target t
JOIN region_closure c ON c.ancestor = t.code
JOIN child ch ON ch.village_code = c.descendant
JOIN months m ON ch.enrolled_on <= m.month_end AND (ch.exited_on IS NULL OR ch.exited_on > m.month_end)
LEFT JOIN (
  SELECT vi.child_hash, mm.k, COUNT(*) AS visits
  FROM visit vi
  JOIN months mm ON vi.visited_on BETWEEN mm.month_start AND mm.month_end
  WHERE vi.visited_on BETWEEN :window_start AND :window_end
  GROUP BY vi.child_hash, mm.k
) v ON v.child_hash = ch.id_hash AND v.k = m.k
GROUP BY t.code, m.k
