-- Keep the SCRAM verifier a new credential was issued with (see isolation.sql step 2).
INSERT INTO datalake_ops.credential_verifiers (username, verifier) VALUES (%(username)s, %(verifier)s);
