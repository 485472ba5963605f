-- Redshift twin of include/sql/typed/relations_replace.sql: the $relation lists unnested
-- with PartiQL (UNPIVOT over the payload, then the list as a FROM item).
DELETE FROM {{ schema }}._relations
WHERE entity_id IN (SELECT entity_id FROM typed_stage)
{%- if changed_only %}
   OR entity_id IN (SELECT entity_id FROM typed_ids)
{%- endif %}
{%- if rebuilt %}
   OR entity_schema IN ({{ rebuilt }})
{%- endif %};
INSERT INTO {{ schema }}._relations (entity_id, entity_schema, attribute, related_entity_id)
SELECT s.entity_id, s.entity_schema, attr, rel.entity_id::VARCHAR(64)
FROM typed_stage s, UNPIVOT s.p AS v AT attr, v."$relation" AS rel
WHERE IS_OBJECT(v) AND IS_ARRAY(v."$relation") AND IS_VARCHAR(rel.entity_id);
