-- top_regions: regions whose parent is not in the table (the cities); what full scope means.
SELECT r.code
FROM region r
LEFT JOIN region p ON p.code = r.parent_code
WHERE p.code IS NULL
ORDER BY r.code
