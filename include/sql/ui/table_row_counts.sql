-- The Data lake page: rows in the entity table and the five workflow tables.
SELECT 'entity_operations' AS table_name, count(*) AS row_count FROM epilot_datalake.entity_operations
UNION ALL SELECT 'current_entities', count(*) FROM epilot_datalake.current_entities
UNION ALL SELECT 'WorkflowExecution', count(*) FROM epilot_datalake.WorkflowExecution
UNION ALL SELECT 'WorkflowPhases', count(*) FROM epilot_datalake.WorkflowPhases
UNION ALL SELECT 'WorkflowTasks', count(*) FROM epilot_datalake.WorkflowTasks
UNION ALL SELECT 'WorkflowCancellations', count(*) FROM epilot_datalake.WorkflowCancellations
UNION ALL SELECT 'WorkflowContexts', count(*) FROM epilot_datalake.WorkflowContexts
