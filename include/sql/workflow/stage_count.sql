-- Rows of one stage table.
SELECT COUNT(*) FROM stage_workflow_{{ stage }};
