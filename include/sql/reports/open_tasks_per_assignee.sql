-- Open tasks per assignee. A task is open when its status is UNASSIGNED, ASSIGNED or
-- IN_PROGRESS and its execution is still running (status STARTED: the open tasks of a
-- closed execution are nobody's work). assigned_to holds the user ids joined with ','; a task
-- assigned to two users counts for both. Tasks without an assignee: assignee NULL.
WITH RECURSIVE numbers (n) AS (
    SELECT 1
    UNION ALL
    SELECT n + 1 FROM numbers WHERE n < 50
),
open_tasks AS (
    SELECT t.org_id, t.id, t.assigned_to
    FROM epilot_datalake.WorkflowTasks t
    JOIN epilot_datalake.WorkflowExecution e ON e.id = t.workflow_execution_id
    WHERE t.status IN ('UNASSIGNED', 'ASSIGNED', 'IN_PROGRESS')
      AND e.status = 'STARTED'
),
assignments AS (
    SELECT o.org_id, o.id, SPLIT_PART(o.assigned_to, ',', numbers.n) AS assignee
    FROM open_tasks o
    JOIN numbers ON numbers.n <= REGEXP_COUNT(o.assigned_to, ',') + 1
    WHERE o.assigned_to IS NOT NULL
    UNION ALL
    SELECT o.org_id, o.id, CAST(NULL AS VARCHAR) AS assignee
    FROM open_tasks o
    WHERE o.assigned_to IS NULL
)
SELECT org_id, assignee, COUNT(*) AS open_tasks
FROM assignments
GROUP BY org_id, assignee
ORDER BY org_id, open_tasks DESC, assignee;
