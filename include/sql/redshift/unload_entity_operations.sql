-- Redshift: the run's curated rows to the lake, one Parquet set per event month.
UNLOAD ('SELECT id, "detail-type", operation, source, account, time, region, activity_id, entity_id, detail, schema, month, year FROM stage_entity_operations ORDER BY id')
TO '{{ lake_uri }}/part-{{ run_key }}-'
IAM_ROLE '{{ iam_role }}'
FORMAT AS PARQUET
PARTITION BY (year, month)
ALLOWOVERWRITE;
