"""What tenants may read: isolation (datalake.credentials) and the query reader role
(datalake.query_reader) grant on the same list."""

# The tenant-visible tables and the column holding the organisation id. Any other
# table or view in the warehouse is invisible to tenants unless it is added here (or is a
# security_invoker view over these tables).
TENANT_TABLES: tuple[tuple[str, str], ...] = (
    ("entity_operations", "account"),
    ("current_entities", "account"),
    ("workflowexecution", "org_id"),
    ("workflowphases", "org_id"),
    ("workflowtasks", "org_id"),
    ("workflowcancellations", "org_id"),
    ("workflowcontexts", "org_id"),
)
