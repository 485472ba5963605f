-- Replace every execution this run changes, in the run's transaction: its rows are deleted
-- from all five tables and the winning event's rows inserted, so phases and tasks removed
-- from the execution disappear; a winning delete leaves no rows. Same SQL on Redshift.
DELETE FROM datalake_ops.workflow_execution_version
USING workflow_winners w
WHERE datalake_ops.workflow_execution_version.id = w.execution_id;

INSERT INTO datalake_ops.workflow_execution_version (id, org_id, last_update_time, deleted, event_id, run_key)
SELECT execution_id, org_id, last_update_time, deleted, event_id, CAST(%(run_key)s AS varchar(128)) FROM workflow_winners;

DELETE FROM epilot_datalake.WorkflowExecution
USING workflow_winners w WHERE epilot_datalake.WorkflowExecution.id = w.execution_id;
DELETE FROM epilot_datalake.WorkflowPhases
USING workflow_winners w WHERE epilot_datalake.WorkflowPhases.workflow_execution_id = w.execution_id;
DELETE FROM epilot_datalake.WorkflowTasks
USING workflow_winners w WHERE epilot_datalake.WorkflowTasks.workflow_execution_id = w.execution_id;
DELETE FROM epilot_datalake.WorkflowCancellations
USING workflow_winners w WHERE epilot_datalake.WorkflowCancellations.workflow_execution_id = w.execution_id;
DELETE FROM epilot_datalake.WorkflowContexts
USING workflow_winners w WHERE epilot_datalake.WorkflowContexts.workflow_execution_id = w.execution_id;

INSERT INTO epilot_datalake.WorkflowExecution
    (org_id, id, name, status, definition_id, created_at, last_updated_at, started_at, completed_at)
SELECT s.org_id, s.id, s.name, s.status, s.definition_id, s.created_at, s.last_updated_at, s.started_at, s.completed_at
FROM stage_workflow_workflowexecution s
JOIN workflow_winners w ON s._event_id = w.event_id AND s._seq = w._seq
WHERE NOT w.deleted;

INSERT INTO epilot_datalake.WorkflowPhases
    (id, position, workflow_execution_id, definition_id, name, status, created_at, started_at, completed_at, org_id)
SELECT s.id, s.position, s.workflow_execution_id, s.definition_id, s.name, s.status, s.created_at, s.started_at,
       s.completed_at, s.org_id
FROM stage_workflow_workflowphases s
JOIN workflow_winners w ON s._event_id = w.event_id AND s._seq = w._seq
WHERE NOT w.deleted;

INSERT INTO epilot_datalake.WorkflowTasks
    (org_id, id, phase_name, position, name, status, phase_id, workflow_execution_id, definition_id, entity_ref_id,
     created_at, started_at, completed_at, last_updated_at, due_date, assigned_to, assigned_to_in_progress,
     manually_created, enabled)
SELECT s.org_id, s.id, s.phase_name, s.position, s.name, s.status, s.phase_id, s.workflow_execution_id,
       s.definition_id, s.entity_ref_id, s.created_at, s.started_at, s.completed_at, s.last_updated_at, s.due_date,
       s.assigned_to, s.assigned_to_in_progress, s.manually_created, s.enabled
FROM stage_workflow_workflowtasks s
JOIN workflow_winners w ON s._event_id = w.event_id AND s._seq = w._seq
WHERE NOT w.deleted;

INSERT INTO epilot_datalake.WorkflowCancellations (org_id, workflow_execution_id, closing_reason_id, closing_reason_title)
SELECT s.org_id, s.workflow_execution_id, s.closing_reason_id, s.closing_reason_title
FROM stage_workflow_workflowcancellations s
JOIN workflow_winners w ON s._event_id = w.event_id AND s._seq = w._seq
WHERE NOT w.deleted;

INSERT INTO epilot_datalake.WorkflowContexts (org_id, workflow_execution_id, context_entity_id, context_entity_schema)
SELECT s.org_id, s.workflow_execution_id, s.context_entity_id, s.context_entity_schema
FROM stage_workflow_workflowcontexts s
JOIN workflow_winners w ON s._event_id = w.event_id AND s._seq = w._seq
WHERE NOT w.deleted;

DROP TABLE workflow_winners;
