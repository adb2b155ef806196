-- freshness_visits: the visits held now of the children of the villages inside :scope (parent links), for
-- freshness.sql's 走访 row: each child's visits counted by the index ix_visit_child_date.
SELECT COUNT(*) AS current_rows
FROM visit v
JOIN child ch ON ch.id_hash = v.child_hash
WHERE ch.village_code IN (SELECT s.descendant FROM region_closure s WHERE s.ancestor IN :scope)
