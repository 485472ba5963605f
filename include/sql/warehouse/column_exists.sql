-- Whether a table has a column (warehouse_init.add_missing_columns); information_schema
-- answers the same on PostgreSQL and Redshift for the warehouse's own tables.
SELECT 1
FROM information_schema.columns
WHERE table_schema = %(schema)s
  AND table_name = %(table)s
  AND column_name = %(column)s;
