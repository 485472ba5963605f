-- Arrival hours of a month whose entity_operations_hourly run committed (its manifest row is
-- written in the load's transaction, so a row means the hour is in the warehouse).
SELECT run_key
FROM datalake_ops.run_manifest
WHERE pipeline = 'entity_operations_hourly'
  AND run_key >= %(first_hour)s
  AND run_key <= %(last_hour)s;
