-- Workflow executions per status and per month (month of creation, UTC, as 'YYYY-MM').
-- Redshift SQL; locally: datalake query --file include/sql/reports/executions_per_status_month.sql
SELECT org_id,
       TO_CHAR(DATE_TRUNC('month', created_at), 'YYYY-MM') AS month,
       status,
       COUNT(*) AS executions
FROM epilot_datalake.WorkflowExecution
GROUP BY org_id, TO_CHAR(DATE_TRUNC('month', created_at), 'YYYY-MM'), status
ORDER BY org_id, month, status;
