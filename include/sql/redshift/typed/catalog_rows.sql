-- Redshift twin of include/sql/typed/catalog_rows.sql (no jsonb): the catalog's rows as
-- literals (datalake.typed.redshift_sql.rows_sql), in one statement.
{%- if values %}
INSERT INTO {{ schema }}._attributes (entity_schema, table_name, attribute, column_name, type,
    ordinal, first_seen, last_seen, rows_with_value, values_not_fitting, widened_from)
VALUES
{{ values }}
{%- endif %}
