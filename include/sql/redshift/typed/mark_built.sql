UPDATE datalake_ops.typed_schemas SET built_at = GETDATE() WHERE org_id = %(org)s
