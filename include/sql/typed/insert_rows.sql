-- Typed values from the staged payloads: every value fits its column's type (the catalog was
-- widened over these very values first); objects and arrays are kept as JSON text.
INSERT INTO {{ schema }}.{{ table }} (entity_id{% for column in columns %}, {{ column.name }}{% endfor %})
SELECT s.entity_id
{%- for column in columns %},
{%- if column.text %}
       CASE WHEN jsonb_typeof(s.p -> {{ column.key }}) IN ('object', 'array') THEN (s.p -> {{ column.key }})::text
            ELSE s.p ->> {{ column.key }} END
{%- else %}
       (s.p ->> {{ column.key }})::{{ column.type }}
{%- endif %}
{%- endfor %}
FROM typed_stage s
WHERE s.entity_schema = {{ slug }}
