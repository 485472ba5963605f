SELECT entity_schema, table_name, attribute, column_name, type, ordinal, first_seen, last_seen,
       rows_with_value, values_not_fitting, widened_from
FROM {{ schema }}._attributes
ORDER BY entity_schema, ordinal
