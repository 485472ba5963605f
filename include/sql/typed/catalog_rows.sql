-- The catalog's rows in one statement, from a JSON array of them (one parameter): it travels
-- in the same round-trip as the links and the catalog's clearing.
INSERT INTO {{ schema }}._attributes (entity_schema, table_name, attribute, column_name, type,
    ordinal, first_seen, last_seen, rows_with_value, values_not_fitting, widened_from)
SELECT entity_schema, table_name, attribute, column_name, type, ordinal, first_seen, last_seen,
       rows_with_value, values_not_fitting, widened_from
FROM jsonb_to_recordset(%(rows)s::jsonb) AS r (
    entity_schema varchar, table_name varchar, attribute varchar, column_name varchar,
    type varchar, ordinal integer, first_seen timestamptz, last_seen timestamptz,
    rows_with_value bigint, values_not_fitting bigint, widened_from varchar)
