-- units_last_visit: for the regions :codes of the CTE `target` only, the latest visit dated in [:since, :until]
-- of a child of their villages. For the few units whose latest visit the kept measures do not hold: the
-- weekly review's silent townships (look-back to Sunday) and 各单位报送情况's units with no visit in the month
-- (everything up to the as-of day). Each child's latest visit by the index ix_visit_child_date.
SELECT t.code AS region_code,
  MAX((SELECT MAX(v.visited_on) FROM visit v
        WHERE v.child_hash = ch.id_hash AND v.visited_on BETWEEN :since AND :until)) AS last_visit
FROM target t
JOIN region_closure c ON c.ancestor = t.code
JOIN child ch ON ch.village_code = c.descendant
WHERE t.code IN :codes
GROUP BY t.code
