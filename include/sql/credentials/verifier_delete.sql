-- A revoked credential's verifier is not kept.
DELETE FROM datalake_ops.credential_verifiers WHERE username = %(username)s;
