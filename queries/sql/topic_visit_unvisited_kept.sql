-- topic_visit_unvisited_kept: topic_visit_unvisited.sql from the kept visit measures of each village (data/kept.py
-- keeps villages at month ends): per village under :roots inside :scope (the CTE `target`), the children on the
-- roll at the month's end of :kept_day and those below the visits required for their risk level
-- (:need_red … :need_unassessed, each at most 4, the kept counts' reach: queries/topics_visits.py checks),
-- i.e. on the roll less those with at least `need` visits, as queries.engine.shortfall applies the rule to the
-- same parts (tests/test_kept.py compares the list with the rows). Counts only; villages with none missing are
-- left out.
-- One statement returning only the listed villages: reading every village's kept columns into Python cost
-- more than the list (6,000 villages of a city of the province demo). The township and county names are looked
-- up for the listed villages only: joined, PostgreSQL misjudged the villages as 500 and hashed all 72,000
-- regions of the province for them (23 of the statement's 84 ms).
WITH counts AS (
  SELECT t.code, t.name,
    k.on_roll_red + k.on_roll_orange + k.on_roll_yellow + k.on_roll_green + k.on_roll_unassessed AS children_total,
    CASE WHEN :need_red <= 0 THEN 0
         WHEN :need_red = 1 THEN k.on_roll_red - k.visited_red_1
         WHEN :need_red = 2 THEN k.on_roll_red - k.visited_red_2
         WHEN :need_red = 3 THEN k.on_roll_red - k.visited_red_3
         ELSE k.on_roll_red - k.visited_red_4 END
    + CASE WHEN :need_orange <= 0 THEN 0
         WHEN :need_orange = 1 THEN k.on_roll_orange - k.visited_orange_1
         WHEN :need_orange = 2 THEN k.on_roll_orange - k.visited_orange_2
         WHEN :need_orange = 3 THEN k.on_roll_orange - k.visited_orange_3
         ELSE k.on_roll_orange - k.visited_orange_4 END
    + CASE WHEN :need_yellow <= 0 THEN 0
         WHEN :need_yellow = 1 THEN k.on_roll_yellow - k.visited_yellow_1
         WHEN :need_yellow = 2 THEN k.on_roll_yellow - k.visited_yellow_2
         WHEN :need_yellow = 3 THEN k.on_roll_yellow - k.visited_yellow_3
         ELSE k.on_roll_yellow - k.visited_yellow_4 END
    + CASE WHEN :need_green <= 0 THEN 0
         WHEN :need_green = 1 THEN k.on_roll_green - k.visited_green_1
         WHEN :need_green = 2 THEN k.on_roll_green - k.visited_green_2
         WHEN :need_green = 3 THEN k.on_roll_green - k.visited_green_3
         ELSE k.on_roll_green - k.visited_green_4 END
    + CASE WHEN :need_unassessed <= 0 THEN 0
         WHEN :need_unassessed = 1 THEN k.on_roll_unassessed - k.visited_unassessed_1
         WHEN :need_unassessed = 2 THEN k.on_roll_unassessed - k.visited_unassessed_2
         WHEN :need_unassessed = 3 THEN k.on_roll_unassessed - k.visited_unassessed_3
         ELSE k.on_roll_unassessed - k.visited_unassessed_4 END AS children_unvisited
  FROM target t
  JOIN kept_visits k ON k.region_code = t.code AND k.day = :kept_day
)
SELECT c.code AS region_code, c.name AS region_name,
  (SELECT twn.name FROM region vil JOIN region twn ON twn.code = vil.parent_code
    WHERE vil.code = c.code
      AND twn.code IN (SELECT xs.descendant FROM region_closure xs WHERE xs.ancestor IN :scope)) AS township_name,
  (SELECT cty.name FROM region vil JOIN region twn ON twn.code = vil.parent_code JOIN region cty ON cty.code = twn.parent_code
    WHERE vil.code = c.code
      AND twn.code IN (SELECT xs.descendant FROM region_closure xs WHERE xs.ancestor IN :scope)
      AND cty.code IN (SELECT xs.descendant FROM region_closure xs WHERE xs.ancestor IN :scope)) AS county_name,
  c.children_total, c.children_unvisited
FROM counts c
WHERE c.children_unvisited > 0
ORDER BY c.children_unvisited DESC, c.code
