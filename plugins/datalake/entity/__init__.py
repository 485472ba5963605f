"""The entity-operations stream (DAG entity_operations_hourly): normalise (normalize),
validate with its suite (suite), stage a batch (batch), load the hour (load), the DAG's task
functions (tasks), and the quarantine replay (replay)."""
