-- The catalog's rows that changed in one statement, from a JSON array of them (one parameter):
-- it travels in the same round-trip as the links. New rows are inserted, changed ones updated
-- in place (attributes are never removed); a row as it was read is not sent.
INSERT INTO {{ schema }}._attributes (entity_schema, table_name, attribute, column_name,
    type, ordinal, first_seen, last_seen, rows_with_value, values_not_fitting, widened_from)
SELECT entity_schema, table_name, attribute, column_name, type, ordinal, first_seen, last_seen,
       rows_with_value, values_not_fitting, widened_from
FROM jsonb_to_recordset(%(rows)s::jsonb) AS r (
    entity_schema varchar, table_name varchar, attribute varchar, column_name varchar,
    type varchar, ordinal integer, first_seen timestamptz, last_seen timestamptz,
    rows_with_value bigint, values_not_fitting bigint, widened_from varchar)
ON CONFLICT (entity_schema, attribute) DO UPDATE SET
    table_name = EXCLUDED.table_name, column_name = EXCLUDED.column_name, type = EXCLUDED.type,
    ordinal = EXCLUDED.ordinal, first_seen = EXCLUDED.first_seen, last_seen = EXCLUDED.last_seen,
    rows_with_value = EXCLUDED.rows_with_value, values_not_fitting = EXCLUDED.values_not_fitting,
    widened_from = EXCLUDED.widened_from
