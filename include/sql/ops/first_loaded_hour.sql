-- The first arrival hour an hourly pipeline ever loaded: freshness is not checked before it
-- (hour run keys are 10 digits; replay runs have longer keys).
SELECT min(run_key)
FROM datalake_ops.run_manifest
WHERE pipeline = %(pipeline)s
  AND length(run_key) = 10;
