-- freshness: per data table, the rows it holds now (a reload replaces rows, so import_log's sums
-- would count them twice) and the time of its last successful import (null if never imported).
-- table_order keeps the import format's order: 区划, 儿童, 工作人员, 阵地, 走访, 培训, 资金预算, 资金支出.
WITH counts AS (
  SELECT 1 AS table_order, 'region' AS table_name, COUNT(*) AS current_rows FROM region
  UNION ALL SELECT 2, 'child', COUNT(*) FROM child
  UNION ALL SELECT 3, 'worker_post', COUNT(*) FROM worker_post
  UNION ALL SELECT 4, 'station', COUNT(*) FROM station
  UNION ALL SELECT 5, 'visit', COUNT(*) FROM visit
  UNION ALL SELECT 6, 'training', COUNT(*) FROM training
  UNION ALL SELECT 7, 'budget', COUNT(*) FROM budget
  UNION ALL SELECT 8, 'spending', COUNT(*) FROM spending
),
loads AS (
  SELECT table_name, MAX(imported_at) AS last_import
  FROM import_log
  GROUP BY table_name
)
SELECT c.table_name, c.current_rows, l.last_import
FROM counts c
LEFT JOIN loads l ON l.table_name = c.table_name
ORDER BY c.table_order
