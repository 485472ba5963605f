-- The organisation's active credentials that exist as roles.
SELECT c.username FROM datalake_ops.credentials c
JOIN pg_catalog.pg_roles r ON r.rolname = c.username
WHERE c.org_id = %(org)s AND c.revoked_at IS NULL
ORDER BY c.username
