-- Organisations with queued entities, and organisations whose typed tables were never built.
SELECT account FROM datalake_ops.typed_pending
UNION
SELECT org_id FROM datalake_ops.typed_schemas WHERE built_at IS NULL
ORDER BY 1
