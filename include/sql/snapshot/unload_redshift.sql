-- Redshift: the month's snapshot rows to the lake as one Parquet file (PARALLEL OFF), sorted
-- by id, overwritten by a rerun. Redshift appends its part number: snapshot-YYYYMM-000.parquet.
UNLOAD ('SELECT id, "detail-type", operation, source, account, time, region, activity_id, entity_id, detail, schema, month, year FROM snapshot_rows ORDER BY id')
TO '{{ lake_uri }}/year={{ year }}/month={{ month }}/snapshot-{{ month_key }}-'
IAM_ROLE '{{ iam_role }}'
FORMAT AS PARQUET
PARALLEL OFF
ALLOWOVERWRITE;
