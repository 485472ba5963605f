-- The Data lake page: each organisation's attribute catalog, summed, and its widened columns.
-- Rendered with the schema names of typed_schemas.sql (random t_<hex> names, checked).
{%- for schema in schemas %}
{% if not loop.first %}UNION ALL {% endif -%}
SELECT '{{ schema }}' AS schema_name, entity_schema, attribute, column_name, type, widened_from,
       rows_with_value, values_not_fitting, last_seen
FROM {{ schema }}._attributes
{%- endfor %}
ORDER BY 1, 2, 3
