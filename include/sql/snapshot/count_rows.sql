-- Entities in the month's snapshot being built.
SELECT COUNT(*) FROM snapshot_rows;
