-- Warehouse tables on the local PostgreSQL stand-in. Idempotent.
-- The Redshift twin, with DISTKEY/SORTKEY, is include/sql/redshift/ddl.sql.
CREATE SCHEMA IF NOT EXISTS epilot_datalake;

-- One row per event (EntityOperation and SnapshotOperation). All columns are strings, as in the docs.
CREATE TABLE IF NOT EXISTS epilot_datalake.entity_operations (
    id            varchar(256)  NOT NULL,
    "detail-type" varchar(64)   NOT NULL,
    operation     varchar(32)   NOT NULL,
    source        varchar(256),
    account       varchar(64)   NOT NULL,
    time          varchar(24)   NOT NULL,
    region        varchar(32),
    activity_id   varchar(64),
    entity_id     varchar(64)   NOT NULL,
    detail        varchar(65535),
    schema        varchar(128),
    month         varchar(2)    NOT NULL,
    year          varchar(4)    NOT NULL,
    -- Redshift does not enforce keys; locally the key catches a merge that would duplicate.
    CONSTRAINT entity_operations_pk PRIMARY KEY (id)
);
-- One index besides the key, on the leading columns of Redshift's sort key (year, month,
-- schema, ...): the pipeline's, the snapshot's and the docs' queries on this table filter on
-- them. The (entity_id, time) index of earlier versions served no query (an entity's latest
-- state is entity_latest_operation / current_entities) and cost the hourly load a quarter of
-- its row COPY (42 -> 31 s at 1 M rows), so it is dropped where it exists.
CREATE INDEX IF NOT EXISTS entity_operations_partition_idx
    ON epilot_datalake.entity_operations (year, month, schema);
DROP INDEX IF EXISTS epilot_datalake.entity_operations_entity_time_idx;

-- Latest state of every active entity, maintained incrementally by the hourly load so that
-- reading it never scans history.
CREATE TABLE IF NOT EXISTS epilot_datalake.current_entities (
    id            varchar(256)  NOT NULL,
    "detail-type" varchar(64)   NOT NULL,
    operation     varchar(32)   NOT NULL,
    source        varchar(256),
    account       varchar(64)   NOT NULL,
    time          varchar(24)   NOT NULL,
    region        varchar(32),
    activity_id   varchar(64),
    entity_id     varchar(64)   NOT NULL,
    detail        varchar(65535),
    schema        varchar(128),
    month         varchar(2)    NOT NULL,
    year          varchar(4)    NOT NULL,
    CONSTRAINT current_entities_pk PRIMARY KEY (entity_id)
);
CREATE INDEX IF NOT EXISTS current_entities_account_schema_idx
    ON epilot_datalake.current_entities (account, schema);

-- Latest operation seen per entity, deletes included, so that a late older event can be
-- recognised as stale without scanning history.
CREATE TABLE IF NOT EXISTS epilot_datalake.entity_latest_operation (
    entity_id   varchar(64)  NOT NULL PRIMARY KEY,
    time        varchar(24)  NOT NULL,
    id          varchar(256) NOT NULL,
    operation   varchar(32)  NOT NULL
);

-- The five workflow snapshot tables (the published diagram of the workflow tables).
CREATE TABLE IF NOT EXISTS epilot_datalake.WorkflowExecution (
    org_id          varchar(64)  NOT NULL,
    id              varchar(128) NOT NULL PRIMARY KEY,
    name            varchar(1024),
    status          varchar(32),
    definition_id   varchar(128),
    created_at      timestamptz,
    last_updated_at timestamptz,
    started_at      timestamptz,
    completed_at    timestamptz
);

CREATE TABLE IF NOT EXISTS epilot_datalake.WorkflowPhases (
    id                    varchar(128) NOT NULL,
    position              int,
    workflow_execution_id varchar(128) NOT NULL,
    definition_id         varchar(128),
    name                  varchar(1024),
    status                varchar(32),
    created_at            timestamptz,
    started_at            timestamptz,
    completed_at          timestamptz,
    org_id                varchar(64)  NOT NULL
);
CREATE INDEX IF NOT EXISTS workflowphases_execution_idx ON epilot_datalake.WorkflowPhases (workflow_execution_id);

CREATE TABLE IF NOT EXISTS epilot_datalake.WorkflowTasks (
    org_id                  varchar(64)  NOT NULL,
    id                      varchar(128) NOT NULL,
    phase_name              varchar(1024),
    position                int,
    name                    varchar(1024),
    status                  varchar(32),
    phase_id                varchar(128),
    workflow_execution_id   varchar(128) NOT NULL,
    definition_id           varchar(128),
    entity_ref_id           varchar(128),
    created_at              timestamptz,
    started_at              timestamptz,
    completed_at            timestamptz,
    last_updated_at         timestamptz,
    due_date                timestamptz,
    assigned_to             varchar(4096),
    assigned_to_in_progress varchar(1024),
    manually_created        boolean,
    enabled                 boolean
);
CREATE INDEX IF NOT EXISTS workflowtasks_execution_idx ON epilot_datalake.WorkflowTasks (workflow_execution_id);

CREATE TABLE IF NOT EXISTS epilot_datalake.WorkflowCancellations (
    org_id                varchar(64)  NOT NULL,
    workflow_execution_id varchar(128) NOT NULL,
    closing_reason_id     varchar(128),
    closing_reason_title  varchar(1024)
);
CREATE INDEX IF NOT EXISTS workflowcancellations_execution_idx ON epilot_datalake.WorkflowCancellations (workflow_execution_id);

CREATE TABLE IF NOT EXISTS epilot_datalake.WorkflowContexts (
    org_id                varchar(64)  NOT NULL,
    workflow_execution_id varchar(128) NOT NULL,
    context_entity_id     varchar(128),
    context_entity_schema varchar(128)
);
CREATE INDEX IF NOT EXISTS workflowcontexts_execution_idx ON epilot_datalake.WorkflowContexts (workflow_execution_id);

-- Run manifests: what each pipeline run read, dropped, quarantined and loaded.
CREATE SCHEMA IF NOT EXISTS datalake_ops;
CREATE TABLE IF NOT EXISTS datalake_ops.run_manifest (
    pipeline      varchar(64)  NOT NULL,
    run_key       varchar(128) NOT NULL,
    window_start  timestamptz  NOT NULL,
    window_end    timestamptz  NOT NULL,
    manifest      text         NOT NULL,
    loaded_at     timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (pipeline, run_key)
);

-- Which run (arrival hour) loaded each event id: an id delivered again in another hour is a
-- duplicate, while a rerun of the same hour replaces its own rows.
CREATE TABLE IF NOT EXISTS datalake_ops.entity_event_owner (
    id      varchar(256) NOT NULL PRIMARY KEY,
    run_key varchar(128) NOT NULL
);

-- Snapshot months (YYYYMM) whose SnapshotOperation rows are stale because an hourly run loaded
-- events of an earlier month after the snapshot was written (late data). Written by the hourly
-- load in its transaction (entity_operations/mark_stale_snapshots.sql), cleared by the refresh
-- in plugins/datalake/pipeline/snapshot.py.
CREATE TABLE IF NOT EXISTS datalake_ops.snapshot_refresh_needed (
    month_key    varchar(6)    NOT NULL PRIMARY KEY,
    reason       varchar(1024) NOT NULL,
    requested_at timestamptz   NOT NULL DEFAULT now()
);

-- Workflow tables: the state each execution is at, deletes included (a tombstone),
-- so that an older update arriving late never overwrites a newer state or resurrects a
-- deleted execution. Ordered by (last_update_time, deleted, event_id); see
-- include/sql/workflow/winners.sql.
CREATE TABLE IF NOT EXISTS datalake_ops.workflow_execution_version (
    id               varchar(128) NOT NULL PRIMARY KEY,
    org_id           varchar(64)  NOT NULL,
    last_update_time timestamptz  NOT NULL,
    deleted          boolean      NOT NULL,
    event_id         varchar(256) NOT NULL,
    run_key          varchar(128) NOT NULL
);
-- Which run (arrival hour) accepted each workflow event id (duplicates across hours), and the
-- hash of the event's content (workflow/flatten.py content_values): a later copy of the id with
-- another hash is a conflicting duplicate. NULL for events loaded before the column existed
-- (added to such a warehouse by `datalake init`, warehouse_init.ADDED_COLUMNS): unknown, so a
-- copy of one counts as a plain duplicate until a rerun of its hour fills it in.
CREATE TABLE IF NOT EXISTS datalake_ops.workflow_event_owner (
    id           varchar(256) NOT NULL PRIMARY KEY,
    run_key      varchar(128) NOT NULL,
    content_hash varchar(64)
);

-- Typed tables (plugins/datalake/typed/): which schema holds each organisation's typed tables.
-- The name is random (t_ + 16 hex digits), so that the schema list every login can read in
-- pg_namespace reveals no organisation's id; built_at stays empty until the first build.
CREATE TABLE IF NOT EXISTS datalake_ops.typed_schemas (
    org_id      varchar(64)  NOT NULL PRIMARY KEY,
    schema_name varchar(63)  NOT NULL UNIQUE,
    built_at    timestamptz
);
-- The hourly runs (run key and the time of its latest load) whose entities were taken into the
-- typed tables: a run loaded again (rerun, backfill) has a newer loaded_at and is taken again.
CREATE TABLE IF NOT EXISTS datalake_ops.typed_seen_runs (
    run_key   varchar(128) NOT NULL PRIMARY KEY,
    loaded_at timestamptz  NOT NULL
);
-- Entities changed by those runs and not yet rewritten in their organisation's typed tables.
CREATE TABLE IF NOT EXISTS datalake_ops.typed_pending (
    account       varchar(64)  NOT NULL,
    entity_id     varchar(64)  NOT NULL,
    entity_schema varchar(128),
    PRIMARY KEY (account, entity_id)
);
-- The typed refresh finds a run's events by run key.
CREATE INDEX IF NOT EXISTS entity_event_owner_run_key_idx ON datalake_ops.entity_event_owner (run_key);
