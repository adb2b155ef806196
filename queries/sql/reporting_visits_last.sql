-- reporting_visits_last: reporting_visits.sql's last_on for the units :codes of the CTE `target` only — those
-- with no visit in the month, whose latest visit the kept measures do not hold (queries/reporting.py takes
-- the others' latest visit and the month's count from them). Each child's latest visit on or before :as_of by
-- the index ix_visit_child_date.
SELECT t.code AS region_code,
  MAX((SELECT MAX(v.visited_on) FROM visit v
        WHERE v.child_hash = ch.id_hash AND v.visited_on <= :as_of)) AS last_on
FROM target t
JOIN region_closure c ON c.ancestor = t.code
JOIN child ch ON ch.village_code = c.descendant
WHERE t.code IN :codes
GROUP BY t.code
