-- One entity schema's typed table, (re)built whole: the standard columns first.
DROP TABLE IF EXISTS {{ schema }}.{{ table }};
CREATE TABLE {{ schema }}.{{ table }} (
    entity_id varchar(64) NOT NULL PRIMARY KEY
{%- for column in columns %},
    {{ column.name }} {{ column.type }}
{%- endfor %}
);
