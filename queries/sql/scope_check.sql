-- scope_check: whether the region :region lies inside the caller's :scope (under one of its codes by
-- parent links, self included: `inside`) or above it (an ancestor of one of them: `above`, which every
-- scoped statement narrows back to the scope). One lookup on each of the closure table's two indexes.
SELECT
  (SELECT COUNT(*) FROM region_closure i WHERE i.descendant = :region AND i.ancestor IN :scope) AS inside,
  (SELECT COUNT(*) FROM region_closure a WHERE a.ancestor = :region AND a.descendant IN :scope) AS above
