-- targets_listed: the CTE `target` once targets.sql has been run for this connection: its own result, the
-- region codes bound back as :target_codes (queries.engine.scoped), so the closure is walked once per page
-- instead of once per statement. The codes come only from targets.sql, run with the caller's :scope.
SELECT r.code, r.name
FROM region r
WHERE r.code IN :target_codes
