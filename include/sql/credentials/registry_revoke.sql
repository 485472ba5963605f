-- Mark a credential revoked (only once).
UPDATE datalake_ops.credentials
SET revoked_at = now(), revoked_by = %(revoked_by)s
WHERE username = %(username)s AND revoked_at IS NULL
RETURNING username, org_id, created_by, created_at, revoked_at, revoked_by;
