UPDATE datalake_ops.typed_schemas SET built_at = now() WHERE org_id = %(org)s
