SELECT DISTINCT entity_schema FROM typed_ids WHERE entity_schema IS NOT NULL
