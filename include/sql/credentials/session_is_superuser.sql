-- Is `datalake init` running as a superuser (then it applies superuser_hardening.sql itself)?
SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user;
