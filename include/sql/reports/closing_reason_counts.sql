-- How often each closing reason was selected: executions per closing reason title (a reason
-- has one id per workflow definition, the title is what analysts compare). An execution
-- closed with two reasons counts once for each.
SELECT org_id,
       closing_reason_title,
       COUNT(DISTINCT workflow_execution_id) AS executions
FROM epilot_datalake.WorkflowCancellations
GROUP BY org_id, closing_reason_title
ORDER BY org_id, executions DESC, closing_reason_title;
