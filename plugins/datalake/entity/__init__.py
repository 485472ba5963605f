"""The entity-operations stream (DAG entity_operations_hourly): normalise (normalize),
validate with its suite (suite), stage a batch (batch) as Parquet (parquet), load the hour
(load), the stream the DAG runs (stream), the quarantine replay (replay) and the monthly
snapshot (monthly_snapshot)."""

DAG_ID = "entity_operations_hourly"  # also the pipeline of its run manifests
STREAM = "entity_operations"  # its landing prefix and its name in the lake
