-- One tenant credential on Redshift; the twin of include/sql/credentials/create_user.sql.
-- The password is sent as Redshift's documented MD5 form, 'md5' || md5(password || username),
-- which is what Redshift stores for a clear-text password anyway: the clear password never
-- reaches the cluster or its query logs. Template values are validated in Python: the user
-- name is dl_ and hex digits, the hash md5 and 32 hex digits. SESSION TIMEOUT ends a
-- session idle that long (the user cannot change it), which bounds how long a tenant's idle
-- transaction can hold a read lock that delays a load's LOCK.
CREATE USER {{ username }} PASSWORD '{{ password_md5 }}'
    NOCREATEDB NOCREATEUSER SYSLOG ACCESS RESTRICTED CONNECTION LIMIT {{ connection_limit }}
    SESSION TIMEOUT {{ session_timeout_s }};
GRANT ROLE datalake_tenant TO {{ username }};
-- A default for honest clients (a user may SET its own statement_timeout); what aborts a long
-- tenant query is the WLM queue rule of the role (redshift/credentials/wlm.json).
ALTER USER {{ username }} SET statement_timeout TO {{ statement_timeout_ms }};
