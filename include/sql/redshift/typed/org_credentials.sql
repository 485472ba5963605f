SELECT c.username FROM datalake_ops.credentials c
JOIN pg_catalog.pg_user u ON u.usename = c.username
WHERE c.org_id = %(org)s AND c.revoked_at IS NULL
ORDER BY c.username
