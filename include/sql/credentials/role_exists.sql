-- Does the login role exist?
SELECT 1 FROM pg_roles WHERE rolname = %(username)s;
