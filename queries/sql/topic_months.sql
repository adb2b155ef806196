-- topic_months: the twelve months of a window as rows (k = 1 oldest … 12 = the selected month) with
-- their first and last days bound as :start_k / :end_k, so that per-month counts need no
-- dialect-specific date functions. Used as the CTE `months` (queries.topics_common.run_monthly).
SELECT 1 AS k, :start_1 AS month_start, :end_1 AS month_end
UNION ALL SELECT 2, :start_2, :end_2
UNION ALL SELECT 3, :start_3, :end_3
UNION ALL SELECT 4, :start_4, :end_4
UNION ALL SELECT 5, :start_5, :end_5
UNION ALL SELECT 6, :start_6, :end_6
UNION ALL SELECT 7, :start_7, :end_7
UNION ALL SELECT 8, :start_8, :end_8
UNION ALL SELECT 9, :start_9, :end_9
UNION ALL SELECT 10, :start_10, :end_10
UNION ALL SELECT 11, :start_11, :end_11
UNION ALL SELECT 12, :start_12, :end_12
