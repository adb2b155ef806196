-- data_span: the first and last enrolment inside the caller's scope — children of the villages under :roots
-- inside :scope (parent links) — to offer only months with data (the last visit: queries.catalog.last_visit).
-- Each walks the enrolment index in date order and stops at the first child in scope: a few rows for a scope
-- holding a share of the data, where a MIN or MAX over the scope's children reads them all (a city of a
-- province: 54,000 children, 30-60 ms on every page's sidebar). The walk runs only when a guard finds a child by
-- the region indexes: for a scope holding no children yet (a partial roll-out) it would read the whole table to
-- find nothing.
WITH held AS (
  SELECT
    EXISTS (SELECT 1 FROM child ch
      WHERE ch.village_code IN (SELECT u.descendant FROM region_closure u WHERE u.ancestor IN :roots)
        AND ch.village_code IN (SELECT s.descendant FROM region_closure s WHERE s.ancestor IN :scope)) AS children
)
SELECT
  CASE WHEN (SELECT children FROM held) THEN (SELECT ch.enrolled_on FROM child ch
    WHERE EXISTS (SELECT 1 FROM region_closure u WHERE u.descendant = ch.village_code AND u.ancestor IN :roots)
      AND EXISTS (SELECT 1 FROM region_closure s WHERE s.descendant = ch.village_code AND s.ancestor IN :scope)
    ORDER BY ch.enrolled_on LIMIT 1) END AS first_day,
  CASE WHEN (SELECT children FROM held) THEN (SELECT ch.enrolled_on FROM child ch
    WHERE EXISTS (SELECT 1 FROM region_closure u WHERE u.descendant = ch.village_code AND u.ancestor IN :roots)
      AND EXISTS (SELECT 1 FROM region_closure s WHERE s.descendant = ch.village_code AND s.ancestor IN :scope)
    ORDER BY ch.enrolled_on DESC LIMIT 1) END AS last_enrolment
