-- topic_children_monthly: for the target regions taken together, per month k of the window
-- (CTE `months`): children on the roll at the month's end (纳入日期 ≤ end, 退出日期 blank or > end),
-- enrolled within the month and exited within the month — the engine's children.sql, month by month,
-- in one pass. Only children who could count anywhere in the window are read.
SELECT m.k,
  SUM(CASE WHEN ch.enrolled_on <= m.month_end AND (ch.exited_on IS NULL OR ch.exited_on > m.month_end)
           THEN 1 ELSE 0 END) AS children_total,
  SUM(CASE WHEN ch.enrolled_on BETWEEN m.month_start AND m.month_end THEN 1 ELSE 0 END) AS children_new,
  SUM(CASE WHEN ch.exited_on BETWEEN m.month_start AND m.month_end THEN 1 ELSE 0 END) AS children_exited
FROM target t
JOIN region_closure c ON c.ancestor = t.code
JOIN child ch ON ch.village_code = c.descendant
CROSS JOIN months m
WHERE ch.enrolled_on <= :window_end
  AND (ch.exited_on IS NULL OR ch.exited_on >= :window_start)
GROUP BY m.k
