-- Queued entities taken by this refresh (the typed_ids read at its start, or all of the
-- organisation's, or of one schema, for a rebuild).
DELETE FROM datalake_ops.typed_pending p
WHERE p.account = {{ org }}
{%- if full %}{% if slug %} AND p.entity_schema = {{ slug }}{% endif %}
{%- else %} AND p.entity_id = ANY (ARRAY(SELECT entity_id FROM typed_ids)){% endif %}
