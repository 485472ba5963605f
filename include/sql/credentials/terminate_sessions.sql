-- End the open sessions of one (revoked) credential. Terminating another role's backend needs
-- that role's privileges; the admin created the role, so it holds ADMIN OPTION on it and lends
-- itself the privileges for the duration of this transaction only.
GRANT {username} TO CURRENT_USER WITH INHERIT TRUE, SET FALSE;
SELECT count(*) FILTER (WHERE pg_catalog.pg_terminate_backend(pid, 5000)) AS terminated
FROM pg_catalog.pg_stat_activity
WHERE usename = {username_text} AND pid <> pg_catalog.pg_backend_pid();
REVOKE {username} FROM CURRENT_USER;
