-- weekly_pace: per township of the CTE `target`, the children on the roll at the week's Sunday
-- (:week_end; enrolled on or before it, not exited on or before it), those who still lack the
-- visits required this month (visits dated :month_start … :week_end below the number required for
-- their risk level, :need_red … :need_unassessed, as in 走访完成率) and the visits still missing.
-- queries/weekly.py turns the missing visits into the pace needed to finish the month:
--   needed per week = visits_missing × 7 ÷ days left in the month after Sunday
-- (null when Sunday is the month's last day: the month is over).
-- Visits are joined to their child as rows (index ix_visit_child_date) and counted per child in an inner
-- GROUP BY, never pre-aggregated and then joined: PostgreSQL, planning without statistics or with a
-- generic plan (psycopg prepares a statement run 5 times), rescanned such an aggregate per child.
SELECT k.region_code,
  COUNT(*) AS children_on_roll,
  SUM(CASE WHEN k.done < k.need THEN 1 ELSE 0 END) AS children_lacking,
  SUM(CASE WHEN k.done < k.need THEN k.need - k.done ELSE 0 END) AS visits_missing
FROM (
  SELECT t.code AS region_code, ch.id_hash,
    CASE ch.risk_level
      WHEN 'red' THEN :need_red WHEN 'orange' THEN :need_orange
      WHEN 'yellow' THEN :need_yellow WHEN 'green' THEN :need_green
      ELSE :need_unassessed END AS need,
    COUNT(v.child_hash) AS done
  FROM target t
  JOIN region_closure c ON c.ancestor = t.code
  JOIN child ch ON ch.village_code = c.descendant
  LEFT JOIN visit v ON v.child_hash = ch.id_hash AND v.visited_on BETWEEN :month_start AND :week_end
  WHERE ch.enrolled_on <= :week_end AND (ch.exited_on IS NULL OR ch.exited_on > :week_end)
  GROUP BY t.code, ch.id_hash, ch.risk_level
) k
GROUP BY k.region_code
