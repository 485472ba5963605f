-- Redshift twin of include/sql/typed/insert_rows.sql: values by SUPER navigation; objects and
-- arrays serialised back to JSON text.
INSERT INTO {{ schema }}.{{ table }} (entity_id{% for column in columns %}, {{ column.name }}{% endfor %})
SELECT s.entity_id
{%- for column in columns %},
{%- if column.text %}
       CASE WHEN IS_VARCHAR(s.d.payload.{{ column.path }}) THEN s.d.payload.{{ column.path }}::VARCHAR(65535)
            WHEN JSON_TYPEOF(s.d.payload.{{ column.path }}) = 'null' THEN NULL
            ELSE JSON_SERIALIZE(s.d.payload.{{ column.path }}) END
{%- elif column.kind == 'timestamptz' %}
       s.d.payload.{{ column.path }}::VARCHAR::TIMESTAMPTZ
{%- else %}
       s.d.payload.{{ column.path }}::{{ column.type }}
{%- endif %}
{%- endfor %}
FROM typed_stage s
WHERE s.entity_schema = {{ slug }}
