-- data_span: the first and last dates on which anything happened inside the caller's scope — children
-- of the villages under :roots inside :scope (parent links) and their visits — to offer only months
-- with data and to say when the last visit was logged.
-- The last visit walks the visits newest first (the primary key leads with the date) and stops at the
-- first one of a child in scope: a few rows, where a MAX over the children's visits reads them all.
SELECT k.first_day, k.last_enrolment,
  (SELECT v.visited_on FROM visit v
    WHERE EXISTS (SELECT 1 FROM child c2
                   WHERE c2.id_hash = v.child_hash
                     AND c2.village_code IN (SELECT u.descendant FROM region_closure u WHERE u.ancestor IN :roots)
                     AND c2.village_code IN (SELECT s.descendant FROM region_closure s WHERE s.ancestor IN :scope))
    ORDER BY v.visited_on DESC
    LIMIT 1) AS last_visit
FROM (
  SELECT MIN(ch.enrolled_on) AS first_day, MAX(ch.enrolled_on) AS last_enrolment
  FROM child ch
  WHERE ch.village_code IN (SELECT u.descendant FROM region_closure u WHERE u.ancestor IN :roots)
    AND ch.village_code IN (SELECT s.descendant FROM region_closure s WHERE s.ancestor IN :scope)
) k
