-- freshness_visits_kept: freshness_visits.sql from the kept measures, for a scope whose roots are kept regions
-- that do not nest: the visits dated in each kept month (visits_dated of the month-end rows :days, every
-- child placed by its village as freshness_visits.sql places it), plus those dated before the first kept month
-- :kept_from, found by the date (few or none: the loader keeps two years and more). No visit is dated after
-- the last kept month (the loader refuses dates after today, which that month holds).
-- roots_kept and roots_nested let queries.catalog check the roots before trusting the sum.
SELECT
  (SELECT COALESCE(SUM(k.visits_dated), 0) FROM kept_visits k
    WHERE k.region_code IN :scope AND k.day IN :days)
  + (SELECT COUNT(*) FROM visit v
      WHERE v.visited_on < :kept_from
        AND EXISTS (SELECT 1 FROM child ch WHERE ch.id_hash = v.child_hash
                      AND ch.village_code IN (SELECT s.descendant FROM region_closure s WHERE s.ancestor IN :scope)))
    AS current_rows,
  (SELECT COUNT(*) FROM region r WHERE r.code IN :scope AND r.level IN :kept_levels) AS roots_kept,
  (SELECT COUNT(*) FROM region_closure x
    WHERE x.ancestor IN :scope AND x.descendant IN :scope AND x.ancestor <> x.descendant) AS roots_nested
