-- Put back the SCRAM verifier a credential was issued with (a tenant may change its own
-- password; credentials.restore_tenant_passwords undoes it). Composed with psycopg.sql.
ALTER ROLE {username} PASSWORD {verifier};
