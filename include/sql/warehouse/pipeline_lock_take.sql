-- Take one pipeline lock until the transaction ends; tenants cannot (no privilege on the table).
SELECT name FROM datalake_ops.pipeline_locks WHERE name = %(name)s FOR UPDATE
