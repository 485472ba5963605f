-- Redshift twin of include/sql/typed/delete_rows.sql (DELETE takes no table alias).
DELETE FROM {{ schema }}.{{ table }}
WHERE entity_id IN (SELECT entity_id FROM typed_ids)
