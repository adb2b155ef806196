-- data_span: the first and last dates on which anything happened inside the caller's scope — children
-- of the villages under :roots inside :scope (parent links) and their visits — to offer only months
-- with data and to say when the last visit was logged.
-- Each walks an index in date order and stops at the first row in scope (the enrolment index for the
-- children, the primary key, which leads with the date, for the visits): a few rows for a scope holding a
-- share of the data, where a MIN or MAX over the scope's children reads them all (a city of a province:
-- 54,000 children, 30-60 ms on every page's sidebar). A walk runs only when its guard finds a row by the
-- region indexes: for a scope holding no children yet (a partial roll-out) or no visits, it would read the
-- whole table to find nothing.
WITH held AS (
  SELECT
    EXISTS (SELECT 1 FROM child ch
      WHERE ch.village_code IN (SELECT u.descendant FROM region_closure u WHERE u.ancestor IN :roots)
        AND ch.village_code IN (SELECT s.descendant FROM region_closure s WHERE s.ancestor IN :scope)) AS children,
    EXISTS (SELECT 1 FROM child ch JOIN visit v ON v.child_hash = ch.id_hash
      WHERE ch.village_code IN (SELECT u.descendant FROM region_closure u WHERE u.ancestor IN :roots)
        AND ch.village_code IN (SELECT s.descendant FROM region_closure s WHERE s.ancestor IN :scope)) AS visits
)
SELECT
  CASE WHEN (SELECT children FROM held) THEN (SELECT ch.enrolled_on FROM child ch
    WHERE EXISTS (SELECT 1 FROM region_closure u WHERE u.descendant = ch.village_code AND u.ancestor IN :roots)
      AND EXISTS (SELECT 1 FROM region_closure s WHERE s.descendant = ch.village_code AND s.ancestor IN :scope)
    ORDER BY ch.enrolled_on LIMIT 1) END AS first_day,
  CASE WHEN (SELECT children FROM held) THEN (SELECT ch.enrolled_on FROM child ch
    WHERE EXISTS (SELECT 1 FROM region_closure u WHERE u.descendant = ch.village_code AND u.ancestor IN :roots)
      AND EXISTS (SELECT 1 FROM region_closure s WHERE s.descendant = ch.village_code AND s.ancestor IN :scope)
    ORDER BY ch.enrolled_on DESC LIMIT 1) END AS last_enrolment,
  CASE WHEN (SELECT visits FROM held) THEN (SELECT v.visited_on FROM visit v
    WHERE EXISTS (SELECT 1 FROM child c2
                   WHERE c2.id_hash = v.child_hash
                     AND c2.village_code IN (SELECT u.descendant FROM region_closure u WHERE u.ancestor IN :roots)
                     AND c2.village_code IN (SELECT s.descendant FROM region_closure s WHERE s.ancestor IN :scope))
    ORDER BY v.visited_on DESC
    LIMIT 1) END AS last_visit
