-- Redshift: the month's snapshot rows to the lake (PARALLEL OFF: one file up to 6.2 GB,
-- then more), sorted by id, overwritten by a rerun. Redshift appends the part number:
-- <prefix>000.parquet, <prefix>001.parquet, ...; monthly_snapshot.py lists what it wrote.
-- ENCRYPTED AUTO: the bucket's default encryption (a KMS-only lake refuses plain PUTs).
UNLOAD ('SELECT id, "detail-type", operation, source, account, time, region, activity_id, entity_id, detail, schema, month, year FROM snapshot_rows ORDER BY id')
TO '{{ prefix_uri }}'
IAM_ROLE '{{ iam_role }}'
FORMAT AS PARQUET
PARALLEL OFF
ENCRYPTED AUTO
ALLOWOVERWRITE;
