-- Redshift twin of include/sql/typed/insert_rows.sql: one row per staged entity, each column
-- the text of its attribute's value (stage.sql) cast to the column's type (the catalog was
-- widened over these very values first, so every cast succeeds). Redshift casts no character
-- string to BOOLEAN: booleans are read by CASE.
INSERT INTO {{ schema }}.{{ table }} (entity_id{% for column in columns %}, {{ column.name }}{% endfor %})
SELECT s.entity_id
{%- for column in columns %}
{%- set value %}MAX(CASE WHEN v.attribute = {{ column.key }} THEN v.value END){% endset %},
       {% if column.text %}{{ value }}
       {%- elif column.kind == 'boolean' %}CASE {{ value }} WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE END
       {%- else %}CAST({{ value }} AS {{ column.type }}){% endif %}
{%- endfor %}
FROM typed_stage s
LEFT JOIN typed_values v ON v.entity_id = s.entity_id
WHERE s.entity_schema = {{ slug }}
GROUP BY s.entity_id
