-- kept_state: the months and Sundays the kept measures cover, the last date loaded, their tables' layout, the
-- data versions they were computed for and the data is at, and the top regions (meta, written by data/kept.py,
-- data/db.py and data.schema.rebuild_closure).
SELECT m.key, m.value FROM meta m
WHERE m.key IN ('kept_first_month', 'kept_last_month', 'kept_sundays', 'kept_layout', 'data_last_day',
  'kept_data_version', 'data_version', 'top_regions')
