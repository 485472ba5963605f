-- May this role set temp_file_limit on the roles it creates (granted by the superuser hardening)?
SELECT pg_catalog.has_parameter_privilege(current_user, 'temp_file_limit', 'SET');
