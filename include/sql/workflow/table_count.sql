-- Rows of one workflow table.
SELECT COUNT(*) FROM epilot_datalake.{{ table }};
