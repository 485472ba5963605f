-- Tenant isolation on Amazon Redshift; the twin of
-- include/sql/credentials/isolation.sql. Rendered by plugins/datalake/credentials/redshift.py
-- (render_redshift_isolation) and run by a superuser (or a user with sys:secadmin) after
-- redshift/ddl.sql. Template values are identifiers validated and double-quoted in Python.
--
-- Model: every credential is a user whose only role is datalake_tenant. The role has SELECT on
-- the tenant-visible tables only; each of them has row-level security ON with one policy
-- attached to the role, keyed on the organisation column through the registry
-- (datalake_ops.credentials, the policies' lookup table). Redshift applies RLS to every user,
-- owners included, so the pipelines' user gets IGNORE RLS through datalake_pipeline.
-- CREATE ROLE has no IF NOT EXISTS: credentials.py runs roles.sql only when svv_roles lacks them.

-- The registry: who, which organisation, created and revoked; never a password.
CREATE TABLE IF NOT EXISTS datalake_ops.credentials (
    username    varchar(63)   NOT NULL,
    org_id      varchar(64)   NOT NULL,
    created_by  varchar(256),
    created_at  timestamptz   NOT NULL,
    revoked_at  timestamptz,
    revoked_by  varchar(256),
    PRIMARY KEY (username)
);

-- Schemas: tenants look up objects in epilot_datalake only and create nothing.
REVOKE ALL ON SCHEMA datalake_ops FROM PUBLIC;
REVOKE ALL ON SCHEMA datalake_ops FROM ROLE datalake_tenant;
REVOKE ALL ON ALL TABLES IN SCHEMA datalake_ops FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA datalake_ops FROM ROLE datalake_tenant;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE CREATE ON SCHEMA epilot_datalake FROM PUBLIC;
GRANT USAGE ON SCHEMA epilot_datalake TO ROLE datalake_tenant;
REVOKE ALL ON epilot_datalake.entity_latest_operation FROM PUBLIC;
REVOKE ALL ON epilot_datalake.entity_latest_operation FROM ROLE datalake_tenant;
REVOKE TEMP ON DATABASE {{ database }} FROM PUBLIC;
GRANT TEMP ON DATABASE {{ database }} TO {{ pipeline_user }};

-- New tables are not granted to tenants unless this script covers them.
ALTER DEFAULT PRIVILEGES IN SCHEMA epilot_datalake REVOKE ALL ON TABLES FROM ROLE datalake_tenant;
ALTER DEFAULT PRIVILEGES IN SCHEMA epilot_datalake REVOKE ALL ON TABLES FROM PUBLIC;

-- Plans leak nothing: tenants neither bypass the policies nor see their filters in
-- EXPLAIN. Revoked explicitly, so a grant someone made by hand is undone on every init.
REVOKE IGNORE RLS FROM ROLE datalake_tenant;
REVOKE EXPLAIN RLS FROM ROLE datalake_tenant;

-- The pipelines load and read every row. RLS filters SELECT, UPDATE, DELETE and UNLOAD but not
-- INSERT or COPY, and a user without a policy sees no rows: a pipeline user without IGNORE RLS
-- would delete nothing and insert everything again on every merge. So the role goes to the
-- user this session really is (current_user, e.g. IAMR:etl on Serverless with IAM), not to a
-- name read from the connection string; superusers and sys:secadmin ignore RLS anyway.
GRANT IGNORE RLS TO ROLE datalake_pipeline;
GRANT ROLE datalake_pipeline TO {{ pipeline_user }};

-- IAM roles are not for tenants. Every user may use every IAM role attached to the cluster
-- (ASSUMEROLE ON ALL is granted to PUBLIC) until this is revoked: a tenant could UNLOAD into
-- the lake bucket with the pipeline's role. Only the pipeline's role may use it, for COPY and
-- UNLOAD (GRANT ASSUMEROLE in the Redshift Database Developer Guide).
REVOKE ASSUMEROLE ON ALL FROM PUBLIC FOR ALL;
GRANT ASSUMEROLE ON {{ iam_roles }} TO ROLE datalake_pipeline FOR COPY;
GRANT ASSUMEROLE ON {{ iam_roles }} TO ROLE datalake_pipeline FOR UNLOAD;

-- Tenants create no functions or procedures: USAGE on the SQL and PL/pgSQL languages is
-- PUBLIC's by default (the pipeline creates none on Redshift; superusers keep it).
REVOKE USAGE ON LANGUAGE sql FROM PUBLIC;
REVOKE USAGE ON LANGUAGE plpgsql FROM PUBLIC;

-- One policy per organisation column; re-created so that a re-run is idempotent
-- (CASCADE detaches it; tables with RLS ON and no policy show tenants nothing meanwhile).
{% for column, policy in policies %}
DROP RLS POLICY IF EXISTS {{ policy }} CASCADE;
CREATE RLS POLICY {{ policy }}
WITH ({{ column }} VARCHAR(64)) AS t
USING (t.{{ column }} IN (
    SELECT c.org_id FROM datalake_ops.credentials c
    WHERE c.username = current_user AND c.revoked_at IS NULL
));
GRANT SELECT ON TABLE datalake_ops.credentials TO RLS POLICY {{ policy }};
{% endfor %}

-- The tenant-visible tables: policy attached to the role, RLS on, SELECT only.
{% for table, column, policy in tables %}
ATTACH RLS POLICY {{ policy }} ON epilot_datalake.{{ table }} TO ROLE datalake_tenant;
ALTER TABLE epilot_datalake.{{ table }} ROW LEVEL SECURITY ON;
REVOKE ALL ON epilot_datalake.{{ table }} FROM ROLE datalake_tenant;
GRANT SELECT ON epilot_datalake.{{ table }} TO ROLE datalake_tenant;
{% endfor %}
