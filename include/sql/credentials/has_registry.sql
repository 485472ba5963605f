-- Does the credential registry exist (`datalake init`)?
SELECT to_regclass('datalake_ops.credentials') IS NOT NULL;
