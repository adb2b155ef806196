-- The floor for `make bench`: one hand-written statement giving what queries.engine.indicators gives for every
-- region of a level in one whole month with the default visit rule (time_progress, a constant, left out), from
-- the same kept tables, with the divisions in SQL. No scope, no registry, no pandas: what our layer costs is the
-- engine's time over this one. Bound: level, month_end (the day of the month's kept rows), and the month's
-- 30-day cutoff parts cohort_day, window_from, window_to (queries.periods.Period.assessment_parts).
SELECT r.code, r.name,
  c.children_total, c.children_orphan, c.children_unsupported, c.children_disabled_ill, c.children_dibao,
  c.children_other_difficulty, c.children_left_behind, c.children_new, c.children_exited,
  1.0 * n.counties_with_centre / NULLIF(n.counties, 0) AS county_centre_coverage,
  1.0 * n.townships_with_station / NULLIF(n.townships, 0) AS township_station_coverage,
  1.0 * n.villages_with_home / NULLIF(n.villages, 0) AS village_home_coverage,
  1.0 * n.villages_with_director / NULLIF(n.villages, 0) AS village_director_coverage,
  1.0 * n.townships_with_supervisor / NULLIF(n.townships, 0) AS township_supervisor_coverage,
  1.0 * w.workers_certified / NULLIF(w.workers, 0) AS worker_certified_rate,
  1.0 * (v.visited_red_1 + v.visited_orange_1 + v.visited_yellow_1 + v.visited_green_1 + v.visited_unassessed_1)
      / NULLIF(c.children_total, 0) AS visit_completion,
  1.0 * w.workers_trained / NULLIF(w.workers, 0) AS training_rate,
  f.fund_budget, f.fund_spent_ytd, f.fund_spent_ytd / NULLIF(f.fund_budget, 0) AS fund_execution_rate,
  1.0 * (COALESCE(kc.on_time_ytd, 0) + COALESCE(wi.on_time, 0))
      / NULLIF(COALESCE(kc.enrolled_ytd, 0) + COALESCE(wi.due, 0), 0) AS assessment_timeliness
FROM region r
LEFT JOIN kept_children c ON c.region_code = r.code AND c.day = :month_end
LEFT JOIN kept_children kc ON kc.region_code = r.code AND kc.day = :cohort_day
LEFT JOIN kept_visits v ON v.region_code = r.code AND v.day = :month_end
LEFT JOIN kept_network n ON n.region_code = r.code AND n.day = :month_end
LEFT JOIN kept_workforce w ON w.region_code = r.code AND w.day = :month_end
LEFT JOIN kept_funds f ON f.region_code = r.code AND f.day = :month_end
LEFT JOIN (
  SELECT cl.ancestor, COUNT(*) AS due,
    SUM(CASE WHEN ch.risk_assessed_on <= ch.assessment_due_on AND ch.need_assessed_on <= ch.assessment_due_on
             THEN 1 ELSE 0 END) AS on_time
  FROM child ch JOIN region_closure cl ON cl.descendant = ch.village_code
  WHERE ch.enrolled_on BETWEEN :window_from AND :window_to
  GROUP BY cl.ancestor
) wi ON wi.ancestor = r.code
WHERE r.level = :level
ORDER BY r.code
