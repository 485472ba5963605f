-- The current payloads to write: the queued entities, or all of the organisation's (of some
-- schemas) for a (re)build. Rows already staged are not staged twice.
CREATE TEMP TABLE IF NOT EXISTS typed_stage (
    entity_id     varchar(64) NOT NULL,
    entity_schema varchar(128),
    event_time    varchar(24),
    p             jsonb
) ON COMMIT DROP;
INSERT INTO typed_stage (entity_id, entity_schema, event_time, p)
SELECT c.entity_id, c.schema, c.time, (c.detail::jsonb) -> 'payload'
FROM epilot_datalake.current_entities c
WHERE c.account = {{ org }}
{%- if changed_only %}
  AND c.entity_id IN (SELECT entity_id FROM typed_ids)
{%- endif %}
{%- if slugs %}
  AND c.schema IN ({{ slugs }})
{%- endif %}
  AND NOT EXISTS (SELECT 1 FROM typed_stage s WHERE s.entity_id = c.entity_id);
