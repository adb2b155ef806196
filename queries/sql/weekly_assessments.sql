-- weekly_assessments: per township of the CTE `target`, children on the roll at the week's Sunday
-- (:week_end) whose risk or need assessment is not done by Sunday (date blank, or dated after
-- Sunday). The due date is 纳入日期 + 30 days (child.assessment_due_on, as in 评估及时率).
--   due soon: due on or after Sunday, i.e. enrolled in the 30 days up to Sunday;
--             days left = next_due − Sunday (0 = due on Sunday itself)
--   overdue:  due before Sunday and on or after :overdue_from (a bounded look-back);
--             days overdue = Sunday − oldest_due
-- Counts and the extreme due dates only: children are never listed.
-- Parent names only where the parent lies inside :scope: a county viewer gets no name above its county.
SELECT t.code AS region_code, t.name AS region_name, p.name AS county_name,
  SUM(CASE WHEN ch.assessment_due_on >= :week_end THEN 1 ELSE 0 END) AS due_soon,
  MIN(CASE WHEN ch.assessment_due_on >= :week_end THEN ch.assessment_due_on END) AS next_due,
  SUM(CASE WHEN ch.assessment_due_on < :week_end THEN 1 ELSE 0 END) AS overdue,
  MIN(CASE WHEN ch.assessment_due_on < :week_end THEN ch.assessment_due_on END) AS oldest_due
FROM target t
JOIN region r ON r.code = t.code
LEFT JOIN region p ON p.code = r.parent_code
  AND p.code IN (SELECT xs.descendant FROM region_closure xs WHERE xs.ancestor IN :scope)
JOIN region_closure c ON c.ancestor = t.code
JOIN child ch ON ch.village_code = c.descendant
WHERE ch.enrolled_on <= :week_end AND (ch.exited_on IS NULL OR ch.exited_on > :week_end)
  AND ch.assessment_due_on >= :overdue_from
  AND (ch.risk_assessed_on IS NULL OR ch.risk_assessed_on > :week_end
       OR ch.need_assessed_on IS NULL OR ch.need_assessed_on > :week_end)
GROUP BY t.code, t.name, p.name
