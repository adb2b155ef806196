-- reporting_training: per unit of the CTE `target`, the latest 培训日期 on or before :as_of of the people
-- who hold (or held) a post in it or under it, and how many of them (by person) trained in [:month_start, :as_of].
-- A training record names a person, not a place: it counts for every unit the person has a post in.
SELECT t.code AS region_code, MAX(tr.last_on) AS last_on,
  COUNT(DISTINCT CASE WHEN tr.last_on >= :month_start THEN tr.person_hash END) AS month_rows
FROM target t
JOIN region_closure c ON c.ancestor = t.code
JOIN (SELECT DISTINCT person_hash, region_code FROM worker_post) w ON w.region_code = c.descendant
JOIN (
  SELECT person_hash, MAX(trained_on) AS last_on
  FROM training
  WHERE trained_on <= :as_of
  GROUP BY person_hash
) tr ON tr.person_hash = w.person_hash
GROUP BY t.code
