WITH span AS
(SELECT *
FROM "epilot_datalake"."epilot_datalake"."entity_operations"
WHERE "SCHEMA" = 'opportunity' AND "year" = EXTRACT(YEAR FROM CURRENT_DATE) AND "month" = EXTRACT(MONTH FROM CURRENT_DATE))
SELECT a.entity_id, schema, detail
FROM
(SELECT entity_id,
MAX(TIME) AS updated_at,
LISTAGG(OPERATION) AS operations,
COUNT(*) AS num_operations
FROM span
GROUP BY entity_id) a
LEFT JOIN span b ON a.entity_id = b.entity_id
AND a.updated_at = b.time
WHERE operations NOT LIKE '%deleteEntity%';
