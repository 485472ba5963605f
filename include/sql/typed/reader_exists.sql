-- Whether `datalake query`'s login exists (created by `datalake init`).
SELECT 1 FROM pg_catalog.pg_user WHERE usename = 'datalake_reader'
