-- One entity schema's typed table, (re)built whole: the standard columns first. Its key is
-- added after the rows (add_key.sql): one index build instead of an insert per row.
DROP TABLE IF EXISTS {{ schema }}.{{ table }};
CREATE TABLE {{ schema }}.{{ table }} (
    entity_id varchar(64) NOT NULL
{%- for column in columns %},
    {{ column.name }} {{ column.type }}
{%- endfor %}
);
