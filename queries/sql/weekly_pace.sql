-- weekly_pace: per township of the CTE `target`, the children on the roll at the week's Sunday
-- (:week_end; enrolled on or before it, not exited on or before it), those who still lack the
-- visits required this month (visits dated :month_start … :week_end below the number required for
-- their risk level, :need_red … :need_unassessed, as in 走访完成率) and the visits still missing.
-- queries/weekly.py turns the missing visits into the pace needed to finish the month:
--   needed per week = visits_missing × 7 ÷ days left in the month after Sunday
-- (null when Sunday is the month's last day: the month is over).
SELECT t.code AS region_code,
  COUNT(k.id_hash) AS children_on_roll,
  SUM(CASE WHEN k.done < k.need THEN 1 ELSE 0 END) AS children_lacking,
  SUM(CASE WHEN k.done < k.need THEN k.need - k.done ELSE 0 END) AS visits_missing
FROM target t
JOIN region_closure c ON c.ancestor = t.code
JOIN (
  SELECT ch.id_hash, ch.village_code,
    CASE ch.risk_level
      WHEN 'red' THEN :need_red WHEN 'orange' THEN :need_orange
      WHEN 'yellow' THEN :need_yellow WHEN 'green' THEN :need_green
      ELSE :need_unassessed END AS need,
    COALESCE(n.visits, 0) AS done
  FROM child ch
  LEFT JOIN (
    SELECT child_hash, COUNT(*) AS visits
    FROM visit
    WHERE visited_on BETWEEN :month_start AND :week_end
    GROUP BY child_hash
  ) n ON n.child_hash = ch.id_hash
  WHERE ch.enrolled_on <= :week_end AND (ch.exited_on IS NULL OR ch.exited_on > :week_end)
) k ON k.village_code = c.descendant
GROUP BY t.code
