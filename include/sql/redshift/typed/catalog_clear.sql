-- The catalog is written whole again by catalog_rows.sql, after this (Redshift has no
-- INSERT ... ON CONFLICT: PostgreSQL's catalog_rows.sql updates the rows in place instead).
DELETE FROM {{ schema }}._attributes
