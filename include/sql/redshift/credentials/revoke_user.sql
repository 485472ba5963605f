-- Revoke one tenant credential on Redshift. The user is kept (its name is never issued again),
-- without password (no login: PASSWORD DISABLE leaves only IAM temporary credentials, which
-- tenants are not given) and without the tenant role. Its open sessions are ended after this
-- commits (credentials/redshift.py), so that a cluster without STV tables (Serverless) never
-- rolls the revoke back.
ALTER USER {{ username }} PASSWORD DISABLE;
REVOKE ROLE datalake_tenant FROM {{ username }};
