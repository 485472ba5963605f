-- Which of the isolation roles exist already (roles.sql runs when they are missing).
SELECT role_name FROM svv_roles WHERE role_name IN ('datalake_tenant', 'datalake_pipeline');
