-- The links of the written entities: one row per entity named in a $relation list. Separate
-- deletes, so that each finds its rows through the entity_id index.
DELETE FROM {{ schema }}._relations r WHERE r.entity_id IN (SELECT entity_id FROM typed_stage);
{%- if changed_only %}
DELETE FROM {{ schema }}._relations r WHERE r.entity_id IN (SELECT entity_id FROM typed_ids);
{%- endif %}
{%- if rebuilt %}
DELETE FROM {{ schema }}._relations r WHERE r.entity_schema IN ({{ rebuilt }});
{%- endif %}
INSERT INTO {{ schema }}._relations (entity_id, entity_schema, attribute, related_entity_id)
SELECT s.entity_id, s.entity_schema, kv.key, rel ->> 'entity_id'
FROM typed_stage s
CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(s.p) = 'object' THEN s.p ELSE '{}'::jsonb END) kv
CROSS JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(kv.value -> '$relation') = 'array' THEN kv.value -> '$relation' ELSE '[]'::jsonb END) rel
WHERE jsonb_typeof(rel -> 'entity_id') = 'string';
