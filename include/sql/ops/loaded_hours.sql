-- Arrival hours (run keys YYYYMMDDHH) of an hourly pipeline whose load committed in a range
-- (the manifest row is written in the load's transaction). Used by datalake.freshness.
SELECT run_key
FROM datalake_ops.run_manifest
WHERE pipeline = %(pipeline)s
  AND run_key >= %(first_hour)s
  AND run_key <= %(last_hour)s;
