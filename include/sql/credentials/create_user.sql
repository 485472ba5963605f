-- One tenant credential on the local PostgreSQL stand-in. Composed by
-- plugins/datalake/credentials.py with psycopg.sql: the placeholders in braces are filled with
-- sql.Identifier (the generated role name) and sql.Literal (the SCRAM verifier, computed on the
-- client, so the clear password never reaches the server or its log). Redshift twin:
-- include/sql/redshift/credentials/create_user.sql.
CREATE ROLE {username} LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
    CONNECTION LIMIT {connection_limit} PASSWORD {verifier};
-- Read-only by default too (the missing privileges are what really forbid writes).
ALTER ROLE {username} SET default_transaction_read_only = on;
-- The only membership: privileges inherited, but no SET ROLE to the group either.
GRANT datalake_tenant TO {username} WITH INHERIT TRUE, SET FALSE;
