-- A generated username already used by a role or by the registry (active or revoked).
SELECT 1 FROM pg_roles WHERE rolname = %(username)s
UNION ALL
SELECT 1 FROM datalake_ops.credentials WHERE username = %(username)s;
