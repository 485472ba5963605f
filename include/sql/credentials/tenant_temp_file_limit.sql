-- A limit the tenant cannot lift: temp_file_limit is a superuser setting, so a tenant
-- can neither SET nor RESET it; the pipeline's role may put it on a role because the superuser
-- granted it SET on the parameter (superuser_hardening.sql).
ALTER ROLE {username} SET temp_file_limit = {temp_file_limit};
