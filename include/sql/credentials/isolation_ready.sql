-- Is tenant isolation set up (registry, current_org(), the tenant group)? `datalake init` sets it up.
SELECT to_regclass('datalake_ops.credentials') IS NOT NULL
   AND to_regprocedure('datalake_ops.current_org()') IS NOT NULL
   AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %(tenant_role)s);
