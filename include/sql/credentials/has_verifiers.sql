-- Does the table of issued password verifiers exist (`datalake init`)?
SELECT to_regclass('datalake_ops.credential_verifiers') IS NOT NULL;
