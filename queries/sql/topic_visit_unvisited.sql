-- topic_visit_unvisited: per village under :roots inside :scope, the children on the roll at
-- :month_end and how many of them did NOT reach the required visits (:need_red … :need_unassessed,
-- as visits.sql) within the month. Counts only — never a child. Villages with none missing are left
-- out; the township and county names are for the list.
SELECT vil.code AS region_code, vil.name AS region_name,
  twn.name AS township_name, cty.name AS county_name,
  COUNT(*) AS children_total,
  SUM(CASE WHEN COALESCE(v.visits, 0) < CASE ch.risk_level
          WHEN 'red' THEN :need_red WHEN 'orange' THEN :need_orange
          WHEN 'yellow' THEN :need_yellow WHEN 'green' THEN :need_green
          ELSE :need_unassessed END
      THEN 1 ELSE 0 END) AS children_unvisited
FROM region vil
JOIN child ch ON ch.village_code = vil.code
LEFT JOIN region twn ON twn.code = vil.parent_code
LEFT JOIN region cty ON cty.code = twn.parent_code
LEFT JOIN (
  SELECT child_hash, COUNT(*) AS visits
  FROM visit
  WHERE visited_on BETWEEN :month_start AND :month_end
  GROUP BY child_hash
) v ON v.child_hash = ch.id_hash
WHERE vil.level = 'village'
  AND vil.code IN (SELECT u.descendant FROM region_closure u WHERE u.ancestor IN :roots)
  AND vil.code IN (SELECT s.descendant FROM region_closure s WHERE s.ancestor IN :scope)
  AND ch.enrolled_on <= :month_end AND (ch.exited_on IS NULL OR ch.exited_on > :month_end)
GROUP BY vil.code, vil.name, twn.name, cty.name
HAVING SUM(CASE WHEN COALESCE(v.visits, 0) < CASE ch.risk_level
          WHEN 'red' THEN :need_red WHEN 'orange' THEN :need_orange
          WHEN 'yellow' THEN :need_yellow WHEN 'green' THEN :need_green
          ELSE :need_unassessed END
      THEN 1 ELSE 0 END) > 0
ORDER BY children_unvisited DESC, vil.code
