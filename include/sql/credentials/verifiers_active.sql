-- The verifiers of the active credentials whose role still exists (the tenant watchdog's input).
SELECT v.username, v.verifier
FROM datalake_ops.credential_verifiers v
JOIN datalake_ops.credentials c ON c.username = v.username AND c.revoked_at IS NULL
JOIN pg_catalog.pg_roles r ON r.rolname = v.username
ORDER BY v.username;
