-- Overdue tasks: due before today (UTC) and not done (done = COMPLETED or SKIPPED), in
-- executions that are still running (status STARTED). Oldest due date first.
SELECT t.org_id,
       t.workflow_execution_id,
       e.name AS workflow_name,
       t.phase_name,
       t.id AS task_id,
       t.name AS task_name,
       t.status,
       t.assigned_to,
       t.due_date,
       DATEDIFF(day, t.due_date, CURRENT_DATE) AS days_overdue
FROM epilot_datalake.WorkflowTasks t
JOIN epilot_datalake.WorkflowExecution e ON e.id = t.workflow_execution_id
WHERE t.due_date < CURRENT_DATE
  AND t.status NOT IN ('COMPLETED', 'SKIPPED')
  AND e.status = 'STARTED'
ORDER BY t.due_date, t.org_id, t.id;
