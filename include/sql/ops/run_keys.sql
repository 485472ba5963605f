-- Every run key a pipeline recorded, ascending (the monthly snapshot: its months).
SELECT run_key FROM datalake_ops.run_manifest WHERE pipeline = %(pipeline)s ORDER BY run_key;
