-- The working tables of stage_tables.sql, when the refresh ends (the session may run other
-- work after it).
DROP TABLE IF EXISTS typed_stage, typed_ids
