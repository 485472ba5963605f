-- Record a new credential (never its password).
INSERT INTO datalake_ops.credentials (username, org_id, created_by)
VALUES (%(username)s, %(org_id)s, %(created_by)s)
RETURNING username, org_id, created_by, created_at, revoked_at, revoked_by;
