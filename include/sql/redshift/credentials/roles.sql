-- The roles of tenant isolation on Redshift, created once (CREATE ROLE has no IF NOT EXISTS;
-- plugins/datalake/credentials.py runs this only when svv_roles does not list them).
CREATE ROLE datalake_tenant;
CREATE ROLE datalake_pipeline;
