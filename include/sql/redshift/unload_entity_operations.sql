-- Redshift: the run's curated rows of one event month to the lake, in the layout the local
-- path writes (<stream>/year=YYYY/month=MM/part-<run>...): one UNLOAD per month into that
-- month's folder, not PARTITION BY (which appends '/' to the prefix, so the run's name would
-- become a folder, and leaves the partition columns out of the files). Redshift names the
-- files <prefix><slice>_part_<nn>.parquet; the load lists them for the run manifest.
-- ENCRYPTED AUTO: the files take the bucket's default encryption (a KMS-only lake refuses
-- unencrypted PUTs). Year and month are checked digits (entity/load.py).
UNLOAD ('SELECT id, "detail-type", operation, source, account, time, region, activity_id, entity_id, detail, schema, month, year FROM stage_entity_operations WHERE year = ''{{ year }}'' AND month = ''{{ month }}'' ORDER BY id')
TO '{{ prefix_uri }}'
IAM_ROLE '{{ iam_role }}'
FORMAT AS PARQUET
ENCRYPTED AUTO
ALLOWOVERWRITE;
