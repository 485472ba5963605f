-- Redshift twin of include/sql/typed/drop_stage.sql: the refresh's temporary tables (they
-- live as long as the session on Redshift).
DROP TABLE IF EXISTS typed_stage;
DROP TABLE IF EXISTS typed_values;
DROP TABLE IF EXISTS typed_ids;
