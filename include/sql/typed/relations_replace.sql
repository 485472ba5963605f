-- The links of the written entities: one row per entity named in a $relation list, looked
-- for only in the `candidates` attributes (where the inference saw a relation list, or any
-- column that can hold one for a table restaged after it). Separate deletes, so that each
-- finds its rows by the entity_id index.
-- Incremental: the staged entities are the queued ones (typed_ids, as an array: looked up by
-- the entity_id index, as in delete_rows.sql) and those of rebuilt schemas.
{%- if whole %}
-- Every table of the organisation is rebuilt: so are all its links, and their index is built
-- once after them rather than kept up to date link by link. DELETE, not TRUNCATE: a tenant's
-- transaction that began before this one commits would see a truncated table empty.
DELETE FROM {{ schema }}._relations;
DROP INDEX IF EXISTS {{ schema }}._relations_entity_idx;
{%- elif changed_only %}
DELETE FROM {{ schema }}._relations r
WHERE r.entity_id = ANY (ARRAY(SELECT entity_id FROM typed_ids));
{%- else %}
DELETE FROM {{ schema }}._relations r WHERE r.entity_id IN (SELECT entity_id FROM typed_stage);
{%- endif %}
{%- if rebuilt and not whole %}
DELETE FROM {{ schema }}._relations r WHERE r.entity_schema IN ({{ rebuilt }});
{%- endif %}
{%- if candidates %}
INSERT INTO {{ schema }}._relations (entity_id, entity_schema, attribute, related_entity_id)
SELECT s.entity_id, s.entity_schema, k.attribute, rel ->> 'entity_id'
FROM typed_stage s
JOIN (VALUES {{ candidates }}) AS k (entity_schema, attribute) ON k.entity_schema = s.entity_schema
CROSS JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(s.p -> k.attribute -> '$relation') = 'array' THEN s.p -> k.attribute -> '$relation'
         ELSE '[]'::jsonb END) rel
WHERE jsonb_typeof(rel -> 'entity_id') = 'string';
{%- endif %}
{%- if whole %}
CREATE INDEX IF NOT EXISTS _relations_entity_idx ON {{ schema }}._relations (entity_id);
{%- endif %}
{%- if not changed_only %}
-- A build's links are most of the table: its statistics now, so that the next refresh's delete
-- probes the entity_id index rather than reading every link (autovacuum would analyse the table
-- only later). Only the column it is probed by: half the cost of every column.
ANALYZE {{ schema }}._relations (entity_id);
{%- endif %}
