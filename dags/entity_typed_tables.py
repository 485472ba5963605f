"""
### entity_typed_tables

Per organisation, typed tables of its current entities in a schema of its own (the one its
credentials' search path starts with): one table per entity schema slug (`opportunity`,
`contact`, …) with the standard columns `entity_id`, `title`, `created_at`, `updated_at`,
`tags` first and then one typed column per top-level payload attribute seen in that
organisation's data (boolean, bigint, numeric, timestamptz, text; objects and arrays as JSON
text); `_relations` (`entity_id`, `entity_schema`, `attribute`, `related_entity_id`) for
`$relation` lists; `_attributes`, the catalog (column per attribute, type, first/last seen,
rows with a value, values that did not fit, the type a column was widened from).

Runs when `entity_operations` is updated (data-aware scheduling on the `entity_operations`
asset, which the hourly load and the monthly snapshot produce) and rewrites only the
entities of the hourly runs loaded since its last run (reruns and backfills included), one
transaction per organisation. A type conflict widens the column (to text), recorded in the
catalog; a new attribute adds a column. Idempotent: a run with nothing new changes nothing.

**Rebuild on demand**: trigger with `organisation` (an organisation id) and/or `entity_schema`
(a slug) to rebuild that organisation's tables, or that entity schema's table in every
organisation, whole from `current_entities`.
"""

from __future__ import annotations

from datetime import datetime, timezone

from airflow.sdk import Param, dag

from datalake.alerts import FailureNotifier
from datalake.assets import ENTITY_OPERATIONS
from datalake.hourly_dag import DEFAULT_ARGS
from datalake.operators import TypedTablesOperator


@dag(
    dag_id="entity_typed_tables",
    schedule=[ENTITY_OPERATIONS],
    start_date=datetime(2025, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["datalake", "entity_operations", "typed_tables"],
    on_failure_callback=FailureNotifier(),
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
)
def entity_typed_tables():
    TypedTablesOperator(
        task_id="refresh_typed_tables",
        organisation="{{ params.organisation }}",
        entity_schema="{{ params.entity_schema }}",
    )


entity_typed_tables()
