-- Rows staged by COPY (Redshift).
SELECT COUNT(*) FROM stage_keys;
