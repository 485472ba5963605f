-- Revoke one tenant credential on Redshift. The user is kept (its name is never issued again),
-- without password (no login: PASSWORD DISABLE leaves only IAM temporary credentials, which
-- tenants are not given) and without the tenant role, then its open sessions are ended.
ALTER USER {{ username }} PASSWORD DISABLE;
REVOKE ROLE datalake_tenant FROM {{ username }};
SELECT pg_terminate_backend(process) FROM stv_sessions WHERE TRIM(user_name) = '{{ username_text }}';
