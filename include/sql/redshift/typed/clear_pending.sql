-- Redshift twin of include/sql/typed/clear_pending.sql (DELETE takes no table alias).
DELETE FROM datalake_ops.typed_pending
WHERE account = {{ org }}
{%- if full %}{% if slug %} AND entity_schema = {{ slug }}{% endif %}
{%- else %} AND entity_id IN (SELECT entity_id FROM typed_ids){% endif %}
