SELECT DISTINCT entity_schema FROM typed_stage WHERE entity_schema IS NOT NULL
