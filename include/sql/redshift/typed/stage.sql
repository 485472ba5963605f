-- Redshift twin of include/sql/typed/stage.sql: the payload as SUPER (JSON_PARSE), the
-- detail text kept beside it. Attribute names keep their case (case-sensitive identifiers).
SET enable_case_sensitive_identifier TO true;
CREATE TEMP TABLE IF NOT EXISTS typed_stage (
    entity_id     VARCHAR(64) NOT NULL,
    entity_schema VARCHAR(128),
    event_time    VARCHAR(24),
    d             SUPER
);
INSERT INTO typed_stage (entity_id, entity_schema, event_time, d)
SELECT c.entity_id, c.schema, c.time, JSON_PARSE(c.detail)
FROM epilot_datalake.current_entities c
WHERE c.account = {{ org }}
{%- if changed_only %}
  AND c.entity_id IN (SELECT entity_id FROM typed_ids)
{%- endif %}
{%- if slugs %}
  AND c.schema IN ({{ slugs }})
{%- endif %}
  AND NOT EXISTS (SELECT 1 FROM typed_stage s WHERE s.entity_id = c.entity_id);
