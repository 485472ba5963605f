"""The pipeline's mutual-exclusion locks on the local PostgreSQL.

A writer takes its lock inside its transaction with ``take_pipeline_lock(conn, name)``: a row
lock on ``datalake_ops.pipeline_locks`` (include/sql/warehouse/pipeline_locks.sql), held until
the transaction ends. Unlike ``pg_advisory_xact_lock``, which any login may call with any key,
a row lock needs UPDATE on a table in a schema tenants cannot even look into, so a tenant
credential cannot take it and cannot make a load or ``datalake init`` wait.
"""

from __future__ import annotations

from datalake.sqlfiles import read_sql

INIT_LOCK = "datalake-init"
ENTITY_OPERATIONS_LOCK = "entity_operations"
WORKFLOW_TABLES_LOCK = "workflow_tables"
RUN_MANIFEST_LOCK = "run_manifest"
TYPED_TABLES_LOCK = "typed_tables"  # the typed tables' refresh (datalake.typed)
LOCK_NAMES = (
    INIT_LOCK,
    ENTITY_OPERATIONS_LOCK,
    WORKFLOW_TABLES_LOCK,
    RUN_MANIFEST_LOCK,
    TYPED_TABLES_LOCK,
)


class MissingLockError(RuntimeError):
    """The lock table or row is missing: the warehouse predates it; `datalake init` adds it."""


def ensure_pipeline_locks(conn, attempts: int = 5) -> None:
    """Create the lock table and rows (own transaction). Two concurrent first inits may race on
    CREATE ... IF NOT EXISTS (a unique violation in the catalog): the loser retries."""
    from psycopg import errors

    for attempt in range(attempts):
        try:
            with conn.transaction():
                conn.execute(read_sql("warehouse/pipeline_locks.sql"))
            return
        except (
            errors.UniqueViolation,
            errors.DuplicateObject,
            errors.DuplicateTable,
            errors.DuplicateSchema,
        ):
            if attempt == attempts - 1:
                raise


def take_pipeline_lock(conn, name: str) -> None:
    """Block until this transaction holds the pipeline lock ``name`` (released at
    commit/rollback)."""
    if name not in LOCK_NAMES:
        raise ValueError(f"unknown pipeline lock {name!r}")
    from psycopg import errors

    try:
        # The row is put back if someone emptied the table (a concurrent insert of the same
        # name waits for the first inserter's transaction, so this serialises too).
        conn.execute(read_sql("warehouse/pipeline_lock_row.sql"), {"name": name})
        row = conn.execute(read_sql("warehouse/pipeline_lock_take.sql"), {"name": name}).fetchone()
    except errors.UndefinedTable as exc:
        raise MissingLockError(
            "the warehouse has no datalake_ops.pipeline_locks table: run `datalake init`"
        ) from exc
    if row is None:
        raise MissingLockError(
            f"the pipeline lock {name!r} is missing from datalake_ops.pipeline_locks: "
            "run `datalake init`"
        )


def lock_run_manifest(conn, settings) -> None:
    """The lock every writer of datalake_ops.run_manifest takes FIRST in its transaction: both
    hourly loads and the monthly snapshot record their run there. Redshift runs transactions
    serializably, and two that write one table concurrently cannot both commit (ERROR 1023,
    "Serializable isolation violation"): the entity and the workflow load, each under its own
    lock, would abort one another. Redshift's advice is to lock every table a transaction
    touches at its start, before any other statement, always in the same order: so this
    comes before the writer's own lock, and a writer's snapshot only begins once the other
    writer has committed. On Redshift a private table no tenant can see is locked (locking
    run_manifest itself would block its readers); locally the pipeline lock row, the same order.
    """
    if settings.warehouse_is_redshift:
        from datalake.sqlfiles import execute_file

        execute_file(conn, "redshift/lock_run_manifest.sql")
    else:
        take_pipeline_lock(conn, RUN_MANIFEST_LOCK)


def lock_entity_operations(conn, settings) -> None:
    """The locks every writer of entity_operations (hourly load, monthly snapshot) takes at the
    start of its transaction: the run manifest's, then the table itself on Redshift, the
    pipeline lock row locally."""
    lock_run_manifest(conn, settings)
    if settings.warehouse_is_redshift:
        from datalake.sqlfiles import execute_file

        execute_file(conn, "redshift/lock_entity_operations.sql")
    else:
        take_pipeline_lock(conn, ENTITY_OPERATIONS_LOCK)


def lock_workflow_tables(conn, settings, tables) -> None:
    """The locks the workflow load takes at the start of its transaction: the run manifest's,
    then the five tables on Redshift, the pipeline lock row locally."""
    lock_run_manifest(conn, settings)
    if settings.warehouse_is_redshift:
        from datalake.sqlfiles import execute_file

        execute_file(conn, "redshift/lock_workflow_tables.sql", tables=list(tables))
    else:
        take_pipeline_lock(conn, WORKFLOW_TABLES_LOCK)


def lock_typed_tables(conn, redshift: bool) -> None:
    """The lock of the typed tables' refresh, taken first in each of its transactions: on
    Redshift a private table's (as the loads do; LOCK waits for the holder's COMMIT), the
    pipeline lock row locally."""
    if redshift:
        from datalake.sqlfiles import execute_file

        execute_file(conn, "redshift/typed/lock.sql")
    else:
        take_pipeline_lock(conn, TYPED_TABLES_LOCK)
