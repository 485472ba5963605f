-- Redshift twin of include/sql/typed/stage.sql. The payload is parsed once (JSON_PARSE into
-- SUPER) and its top-level attributes listed once (UNPIVOT) into typed_values: one row per
-- value that is not JSON null, with its kind and its text (a string's own text, any other
-- value as JSON). Every later statement reads typed_values with plain SQL. Temporary tables
-- live as long as the session on Redshift (no ON COMMIT DROP): drop_stage.sql drops them.
CREATE TEMP TABLE IF NOT EXISTS typed_stage (
    entity_id     VARCHAR(64) NOT NULL,
    entity_schema VARCHAR(128),
    event_time    VARCHAR(24),
    p             SUPER
);
CREATE TEMP TABLE IF NOT EXISTS typed_values (
    entity_id     VARCHAR(64) NOT NULL,
    entity_schema VARCHAR(128),
    event_time    VARCHAR(24),
    attribute     VARCHAR(1024) NOT NULL,
    kind          VARCHAR(16) NOT NULL,
    value         VARCHAR(65535)
);
INSERT INTO typed_stage (entity_id, entity_schema, event_time, p)
SELECT c.entity_id, c.schema, c.time, JSON_PARSE(NULLIF(JSON_EXTRACT_PATH_TEXT(c.detail, 'payload'), ''))
FROM epilot_datalake.current_entities c
WHERE c.account = {{ org }}
{%- if changed_only %}
  AND c.entity_id IN (SELECT entity_id FROM typed_ids)
{%- endif %}
{%- if slugs %}
  AND c.schema IN ({{ slugs }})
{%- endif %}
  AND NOT EXISTS (SELECT 1 FROM typed_stage s WHERE s.entity_id = c.entity_id);
-- Integers are numbers of scale 0 that fit BIGINT; timestamps are ISO-8601 strings with a time
-- that TRY_CAST reads (a 30 February is text).
INSERT INTO typed_values (entity_id, entity_schema, event_time, attribute, kind, value)
SELECT s.entity_id, s.entity_schema, s.event_time, attr,
       CASE WHEN IS_BOOLEAN(v) THEN 'boolean'
            WHEN IS_BIGINT(v) THEN 'bigint'
            WHEN IS_DECIMAL(v) OR IS_FLOAT(v) THEN 'numeric'
            WHEN IS_VARCHAR(v) THEN
                CASE WHEN NOT v::VARCHAR ~ '{{ timestamp_pattern }}' THEN 'text'
                     WHEN TRY_CAST(v::VARCHAR AS TIMESTAMPTZ) IS NULL THEN 'text'
                     ELSE 'timestamptz' END
            WHEN IS_OBJECT(v) AND IS_ARRAY(v."$relation") THEN 'relation'
            ELSE 'json'
       END,
       CASE WHEN IS_VARCHAR(v) THEN v::VARCHAR(65535) ELSE JSON_SERIALIZE(v) END
FROM typed_stage s, UNPIVOT s.p AS v AT attr
WHERE JSON_TYPEOF(v) <> 'null'
  AND NOT EXISTS (SELECT 1 FROM typed_values t WHERE t.entity_id = s.entity_id);
