-- import_times: the last successful import of each data table that holds at least one row inside the
-- caller's :scope (parent links; rows placed as in freshness.sql), for "数据截至". An EXISTS per table
-- stops at the first row in scope, where freshness.sql counts them all.
WITH inside AS (
  SELECT s.descendant AS code FROM region_closure s WHERE s.ancestor IN :scope
),
held AS (
  SELECT 'region' AS table_name WHERE EXISTS (SELECT 1 FROM region WHERE code IN (SELECT code FROM inside))
  UNION ALL SELECT 'child' WHERE EXISTS (SELECT 1 FROM child WHERE village_code IN (SELECT code FROM inside))
  UNION ALL SELECT 'worker_post' WHERE EXISTS (SELECT 1 FROM worker_post WHERE region_code IN (SELECT code FROM inside))
  UNION ALL SELECT 'station' WHERE EXISTS (SELECT 1 FROM station WHERE region_code IN (SELECT code FROM inside))
  UNION ALL SELECT 'visit' WHERE EXISTS (SELECT 1 FROM child ch JOIN visit v ON v.child_hash = ch.id_hash
                                          WHERE ch.village_code IN (SELECT code FROM inside))
  UNION ALL SELECT 'training' WHERE EXISTS (SELECT 1 FROM training t JOIN worker_post p ON p.person_hash = t.person_hash
                                             WHERE p.region_code IN (SELECT code FROM inside))
  UNION ALL SELECT 'budget' WHERE EXISTS (SELECT 1 FROM budget WHERE county_code IN (SELECT code FROM inside))
  UNION ALL SELECT 'spending' WHERE EXISTS (SELECT 1 FROM spending WHERE county_code IN (SELECT code FROM inside))
)
SELECT l.table_name, MAX(l.imported_at) AS last_import
FROM import_log l
JOIN held h ON h.table_name = l.table_name
GROUP BY l.table_name
