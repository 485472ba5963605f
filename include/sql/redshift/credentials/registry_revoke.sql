-- Mark a credential revoked on Redshift (only once; Redshift has no RETURNING).
UPDATE datalake_ops.credentials
SET revoked_at = GETDATE(), revoked_by = %(revoked_by)s
WHERE username = %(username)s AND revoked_at IS NULL;
