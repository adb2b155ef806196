-- reporting_training: per unit of the CTE `target`, the latest 培训日期 on or before :as_of of the people
-- who hold (or held) a post in it or under it, and how many of them (by person) trained in [:month_start, :as_of].
-- A training record names a person, not a place: it counts for every unit the person has a post in.
-- Each post's person is looked up by the (person, date) index: the posts under the units, not every
-- training record of the province grouped first.
SELECT x.code AS region_code, MAX(x.last_on) AS last_on,
  COUNT(DISTINCT CASE WHEN x.last_on >= :month_start THEN x.person_hash END) AS month_rows
FROM (
  SELECT t.code, wp.person_hash,
    (SELECT MAX(tr.trained_on) FROM training tr
      WHERE tr.person_hash = wp.person_hash AND tr.trained_on <= :as_of) AS last_on
  FROM target t
  JOIN region_closure c ON c.ancestor = t.code
  JOIN worker_post wp ON wp.region_code = c.descendant
) x
GROUP BY x.code
