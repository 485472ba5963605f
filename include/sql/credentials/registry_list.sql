-- The registry, newest first; one organisation when org_id is given.
SELECT username, org_id, created_by, created_at, revoked_at, revoked_by
FROM datalake_ops.credentials
WHERE %(org_id)s::text IS NULL OR org_id = %(org_id)s::text
ORDER BY created_at DESC, username;
