-- The snapshot being built (one month), compared with what is stored, then written.
-- Plain CREATE/DROP (no ON COMMIT DROP) so the same file runs on Redshift.
DROP TABLE IF EXISTS snapshot_rows;
CREATE TEMP TABLE snapshot_rows (LIKE epilot_datalake.entity_operations);
