-- A snapshot of the month exists already (the smoke builds next month's only when none does).
SELECT 1 FROM datalake_ops.run_manifest WHERE pipeline = %(pipeline)s AND run_key = %(run_key)s;
