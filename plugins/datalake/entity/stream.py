"""The entity-operations stream, as DAG entity_operations_hourly runs it."""

from __future__ import annotations

from datalake.entity import DAG_ID, STREAM
from datalake.entity.batch import plan_entity_hour, process_entity_batch
from datalake.entity.load import load_entity_hour
from datalake.entity.suite import validate_entity_rows
from datalake.hourly.gate import assess_hour
from datalake.hourly.stream import HourlyStream

ENTITY_STREAM = HourlyStream(
    dag_id=DAG_ID,
    name=STREAM,
    lake_prefix=STREAM,  # entity_operations/year=YYYY/month=MM/part-<run key>.parquet
    sql_folder="entity_operations",
    suite=validate_entity_rows,
    plan=plan_entity_hour,
    process=process_entity_batch,
    gate=assess_hour,
    load=load_entity_hour,
)
