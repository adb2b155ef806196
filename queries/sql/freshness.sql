-- freshness: per data table, the rows it holds now inside the caller's :scope (parent links; a reload
-- replaces rows, so import_log's sums would count them twice) and the time of its last successful
-- import (null if never imported). The import time is the whole file's: it says when, never what or where.
-- Rows are placed as the indicators place them: regions and stations and posts by their own region,
-- children by village, visits by the visited child's village, training by a post its attendee holds or
-- held in scope, budget and spending by county.
-- :kept = 1 (a scope of one root of a kept level, checked by queries.catalog): the counts are read from
-- kept_rows (data/kept.py keeps them placed the same way); else they are counted here from the rows. One root
-- only, since a training counts wherever its attendee holds or held a post: two roots' counts would not add.
-- table_order keeps the import format's order: 区划, 儿童, 工作人员, 阵地, 走访, 培训, 资金预算, 资金支出.
-- Visits are counted apart (freshness_visits.sql, or freshness_visits_kept.sql from the kept measures): here
-- their row carries :visit_rows, bound by queries.catalog.freshness.
WITH inside AS (
  SELECT s.descendant AS code FROM region_closure s WHERE s.ancestor IN :scope
),
kept AS (
  SELECT k.table_name, k.held FROM kept_rows k WHERE :kept = 1 AND k.region_code IN :scope
),
counts AS (
  SELECT 1 AS table_order, 'region' AS table_name, CASE WHEN :kept = 1
    THEN COALESCE((SELECT k.held FROM kept k WHERE k.table_name = 'region'), 0)
    ELSE (SELECT COUNT(*) FROM region WHERE code IN (SELECT code FROM inside)) END AS current_rows
  UNION ALL SELECT 2, 'child', CASE WHEN :kept = 1
    THEN COALESCE((SELECT k.held FROM kept k WHERE k.table_name = 'child'), 0)
    ELSE (SELECT COUNT(*) FROM child WHERE village_code IN (SELECT code FROM inside)) END
  UNION ALL SELECT 3, 'worker_post', CASE WHEN :kept = 1
    THEN COALESCE((SELECT k.held FROM kept k WHERE k.table_name = 'worker_post'), 0)
    ELSE (SELECT COUNT(*) FROM worker_post WHERE region_code IN (SELECT code FROM inside)) END
  UNION ALL SELECT 4, 'station', CASE WHEN :kept = 1
    THEN COALESCE((SELECT k.held FROM kept k WHERE k.table_name = 'station'), 0)
    ELSE (SELECT COUNT(*) FROM station WHERE region_code IN (SELECT code FROM inside)) END
  UNION ALL SELECT 5, 'visit', :visit_rows
  UNION ALL SELECT 6, 'training', CASE WHEN :kept = 1
    THEN COALESCE((SELECT k.held FROM kept k WHERE k.table_name = 'training'), 0)
    ELSE (SELECT COUNT(*) FROM training WHERE person_hash IN (
      SELECT p.person_hash FROM worker_post p WHERE p.region_code IN (SELECT code FROM inside))) END
  UNION ALL SELECT 7, 'budget', CASE WHEN :kept = 1
    THEN COALESCE((SELECT k.held FROM kept k WHERE k.table_name = 'budget'), 0)
    ELSE (SELECT COUNT(*) FROM budget WHERE county_code IN (SELECT code FROM inside)) END
  UNION ALL SELECT 8, 'spending', CASE WHEN :kept = 1
    THEN COALESCE((SELECT k.held FROM kept k WHERE k.table_name = 'spending'), 0)
    ELSE (SELECT COUNT(*) FROM spending WHERE county_code IN (SELECT code FROM inside)) END
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
