-- viewer_region: one region's level and its parent (by the parent link, only if that parent is in the
-- table), to build a login's scope. Reads no child data; runs before there is a scope (queries.engine.UNSCOPED).
SELECT r.code, r.level, p.code AS parent_code
FROM region r
LEFT JOIN region p ON p.code = r.parent_code
WHERE r.code = :code
