-- Redshift twin of include/sql/typed/relations_replace.sql (PartiQL unnesting of SUPER).
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
FROM typed_stage s, UNPIVOT s.d.payload AS v AT attr, v."$relation" AS rel
WHERE IS_OBJECT(v) AND IS_VARCHAR(rel.entity_id);
