-- Executions whose newest state this run applies, and how many of those are deletes.
SELECT COUNT(*), COUNT(CASE WHEN deleted THEN 1 END) FROM workflow_winners;
