"""The entity-operations stream of DAG entity_operations_hourly (its steps: entity/tasks.py)."""

from __future__ import annotations

from datalake.hourly.stream import HourlyStream


class EntityStream(HourlyStream):
    dag_id, stream = "entity_operations_hourly", "entity_operations"

    def task_functions(self):
        from datalake.entity import tasks

        return tasks


ENTITY_STREAM = EntityStream()
