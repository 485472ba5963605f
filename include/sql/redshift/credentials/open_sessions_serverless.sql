-- The ids of one user's active sessions on Redshift Serverless, which has no STV tables
-- (SYS_SESSION_HISTORY: status 'active'; user_id is the user's usesysid).
SELECT session_id FROM sys_session_history
WHERE TRIM(CAST(user_id AS varchar(50))) = (
        SELECT CAST(usesysid AS varchar(50)) FROM pg_user WHERE usename = %(username)s)
  AND TRIM(status) = 'active';
