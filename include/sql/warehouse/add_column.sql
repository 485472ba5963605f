-- A column a table gained after warehouses were created with it (warehouse_init.ADDED_COLUMNS,
-- names from the code, never from input). Redshift: ALTER TABLE ... ADD [COLUMN] name type,
-- without IF NOT EXISTS (https://docs.aws.amazon.com/redshift/latest/dg/r_ALTER_TABLE.html).
ALTER TABLE {{ table }} ADD COLUMN {{ column }} {{ kind }};
