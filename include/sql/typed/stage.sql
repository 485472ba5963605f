-- The current payloads to write: the queued entities, or all of the organisation's (of some
-- schemas) for a (re)build, into typed_stage (stage_tables.sql). Rows already staged are not
-- staged twice.
INSERT INTO typed_stage (entity_id, entity_schema, event_time, p)
SELECT c.entity_id, c.schema, c.time::timestamptz, (c.detail::jsonb) -> 'payload'
FROM epilot_datalake.current_entities c
WHERE c.account = {{ org }}
{%- if changed_only %}
  -- As an array: the planner probes the key once per id, with no statistics of typed_ids.
  AND c.entity_id = ANY (ARRAY(SELECT entity_id FROM typed_ids))
{%- endif %}
{%- if slugs %}
  AND c.schema IN ({{ slugs }})
{%- endif %}
  AND NOT EXISTS (SELECT 1 FROM typed_stage s WHERE s.entity_id = c.entity_id);
