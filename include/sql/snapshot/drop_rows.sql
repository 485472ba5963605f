DROP TABLE IF EXISTS snapshot_rows;
