-- Record a new credential on Redshift (never its password).
INSERT INTO datalake_ops.credentials (username, org_id, created_by, created_at)
VALUES (%(username)s, %(org_id)s, %(created_by)s, GETDATE());
