"""
### entity_typed_tables

Per organisation, typed tables of its current entities (one per entity schema slug, with
`_relations` and the `_attributes` catalog) in the organisation's own schema. Runs when the
`entity_operations` asset is updated and rewrites only the entities of the hourly runs loaded
since its last run; params `organisation` / `entity_schema` rebuild one whole:
**refresh_typed_tables**. More: docs/typed_tables.md and docs/dags.md.
"""

from __future__ import annotations

from datetime import datetime, timezone

from airflow.sdk import Param, dag

from datalake.alerts import FailureNotifier
from datalake.assets import ENTITY_OPERATIONS
from datalake.dag_defaults import DEFAULT_ARGS
from datalake.operators import TypedTablesOperator


@dag(
    dag_id="entity_typed_tables",
    schedule=[ENTITY_OPERATIONS],  # each time the hourly load or the snapshot changed it
    start_date=datetime(2025, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={
        "organisation": Param(
            "", type="string", description="Rebuild this organisation's typed tables whole."
        ),
        "entity_schema": Param(
            "",
            type="string",
            pattern=r"^[A-Za-z0-9_.:-]{0,128}$",
            description="Rebuild this entity schema's typed table (in every organisation, or "
            "in the one named above) whole.",
        ),
    },
    on_failure_callback=FailureNotifier(),  # one email per failed run when alerts are configured
    tags=["datalake", "entity_operations", "typed_tables"],
    doc_md=__doc__,
)
def entity_typed_tables():
    TypedTablesOperator(
        task_id="refresh_typed_tables",
        organisation="{{ params.organisation }}",
        entity_schema="{{ params.entity_schema }}",
    )


entity_typed_tables()
