-- One credential's registry row, locked until the revocation commits.
SELECT username, org_id, created_by, created_at, revoked_at, revoked_by
FROM datalake_ops.credentials
WHERE username = %(username)s
FOR UPDATE;
