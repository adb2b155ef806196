-- topic_visit_unvisited: per village under :roots inside :scope, the children on the roll at
-- :month_end and how many of them did NOT reach the required visits (:need_red … :need_unassessed,
-- as visits.sql) within the month. Counts only — never a child. Villages with none missing are left
-- out; the township and county names are for the list.
-- Visits are joined to their child as rows (index ix_visit_child_date) and counted per child in an inner
-- GROUP BY, never pre-aggregated and then joined: PostgreSQL, planning without statistics or with a
-- generic plan, rescanned such an aggregate for every child (minutes instead of a fraction of a second).
-- Parent names only where the parent lies inside :scope: a county viewer gets no name above its county.
SELECT k.region_code, k.region_name, k.township_name, k.county_name,
  COUNT(*) AS children_total,
  SUM(CASE WHEN k.done < k.need THEN 1 ELSE 0 END) AS children_unvisited
FROM (
  SELECT vil.code AS region_code, vil.name AS region_name,
    twn.name AS township_name, cty.name AS county_name, ch.id_hash,
    CASE ch.risk_level
      WHEN 'red' THEN :need_red WHEN 'orange' THEN :need_orange
      WHEN 'yellow' THEN :need_yellow WHEN 'green' THEN :need_green
      ELSE :need_unassessed END AS need,
    COUNT(v.child_hash) AS done
  FROM region vil
  JOIN child ch ON ch.village_code = vil.code
  LEFT JOIN region twn ON twn.code = vil.parent_code
    AND twn.code IN (SELECT xs.descendant FROM region_closure xs WHERE xs.ancestor IN :scope)
  LEFT JOIN region cty ON cty.code = twn.parent_code
    AND cty.code IN (SELECT xs.descendant FROM region_closure xs WHERE xs.ancestor IN :scope)
  LEFT JOIN visit v ON v.child_hash = ch.id_hash AND v.visited_on BETWEEN :month_start AND :month_end
  WHERE vil.level = 'village'
    AND vil.code IN (SELECT u.descendant FROM region_closure u WHERE u.ancestor IN :roots)
    AND vil.code IN (SELECT s.descendant FROM region_closure s WHERE s.ancestor IN :scope)
    AND ch.enrolled_on <= :month_end AND (ch.exited_on IS NULL OR ch.exited_on > :month_end)
  GROUP BY vil.code, vil.name, twn.name, cty.name, ch.id_hash, ch.risk_level
) k
GROUP BY k.region_code, k.region_name, k.township_name, k.county_name
HAVING SUM(CASE WHEN k.done < k.need THEN 1 ELSE 0 END) > 0
ORDER BY children_unvisited DESC, k.region_code
