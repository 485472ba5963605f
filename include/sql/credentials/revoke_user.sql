-- Revoke one tenant credential on the local PostgreSQL stand-in. Composed with
-- psycopg.sql (the role name is an sql.Identifier). The role is kept, without login, password
-- or membership, so that its name is never issued again and the registry row stays meaningful.
-- An open session loses every privilege at once (privileges are checked per statement) and is
-- then terminated by terminate_sessions.sql.
ALTER ROLE {username} NOLOGIN PASSWORD NULL;
REVOKE datalake_tenant FROM {username};
