-- The process ids of one user's open sessions on a provisioned cluster (STV_SESSIONS).
SELECT process FROM stv_sessions WHERE TRIM(user_name) = %(username)s;
