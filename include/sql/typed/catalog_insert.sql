INSERT INTO {{ schema }}._attributes (entity_schema, table_name, attribute, column_name, type, ordinal,
    first_seen, last_seen, rows_with_value, values_not_fitting, widened_from)
VALUES (%(entity_schema)s, %(table_name)s, %(attribute)s, %(column_name)s, %(type)s, %(ordinal)s,
    %(first_seen)s, %(last_seen)s, %(rows_with_value)s, %(values_not_fitting)s, %(widened_from)s)
