-- freshness: the last successful import of each table, for the data-freshness notes.
SELECT table_name, MAX(imported_at) AS last_import, SUM(rows) AS rows_loaded
FROM import_log
GROUP BY table_name
ORDER BY table_name
