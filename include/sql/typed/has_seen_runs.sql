SELECT EXISTS (SELECT 1 FROM datalake_ops.typed_seen_runs)
