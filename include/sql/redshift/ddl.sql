-- Warehouse tables on Amazon Redshift. Idempotent. Local twin: warehouse/ddl.sql.
-- Keys are informational on Redshift (not enforced): the loads dedupe by id themselves.
CREATE SCHEMA IF NOT EXISTS epilot_datalake;
CREATE SCHEMA IF NOT EXISTS datalake_ops;

-- The writers' locks (LOCK on these, never on the tables readers query; lock_*.sql): no rows.
CREATE TABLE IF NOT EXISTS datalake_ops.pipeline_lock_entity_operations (unused boolean) DISTSTYLE ALL;
CREATE TABLE IF NOT EXISTS datalake_ops.pipeline_lock_workflow_tables (unused boolean) DISTSTYLE ALL;
-- Taken first by every writer of run_manifest, before its own (lock_run_manifest.sql).
CREATE TABLE IF NOT EXISTS datalake_ops.pipeline_lock_run_manifest (unused boolean) DISTSTYLE ALL;
-- Taken by the typed tables' refresh (typed/lock.sql).
CREATE TABLE IF NOT EXISTS datalake_ops.pipeline_lock_typed_tables (unused boolean) DISTSTYLE ALL;

CREATE TABLE IF NOT EXISTS epilot_datalake.entity_operations (
    id            varchar(256)   NOT NULL,
    "detail-type" varchar(64)    NOT NULL,
    operation     varchar(32)    NOT NULL,
    source        varchar(256),
    account       varchar(64)    NOT NULL,
    time          varchar(24)    NOT NULL,
    region        varchar(32),
    activity_id   varchar(64),
    entity_id     varchar(64)    NOT NULL,
    detail        varchar(65535),
    schema        varchar(128),
    month         varchar(2)     NOT NULL,
    year          varchar(4)     NOT NULL,
    PRIMARY KEY (id)
)
DISTKEY (entity_id)
COMPOUND SORTKEY (year, month, schema, entity_id, time);

CREATE TABLE IF NOT EXISTS epilot_datalake.current_entities (
    id            varchar(256)   NOT NULL,
    "detail-type" varchar(64)    NOT NULL,
    operation     varchar(32)    NOT NULL,
    source        varchar(256),
    account       varchar(64)    NOT NULL,
    time          varchar(24)    NOT NULL,
    region        varchar(32),
    activity_id   varchar(64),
    entity_id     varchar(64)    NOT NULL,
    detail        varchar(65535),
    schema        varchar(128),
    month         varchar(2)     NOT NULL,
    year          varchar(4)     NOT NULL,
    PRIMARY KEY (entity_id)
)
DISTKEY (entity_id)
COMPOUND SORTKEY (account, schema);

CREATE TABLE IF NOT EXISTS epilot_datalake.entity_latest_operation (
    entity_id varchar(64)  NOT NULL,
    time      varchar(24)  NOT NULL,
    id        varchar(256) NOT NULL,
    operation varchar(32)  NOT NULL,
    PRIMARY KEY (entity_id)
)
DISTKEY (entity_id) SORTKEY (entity_id);

CREATE TABLE IF NOT EXISTS datalake_ops.entity_event_owner (
    id      varchar(256) NOT NULL,
    run_key varchar(128) NOT NULL,
    PRIMARY KEY (id)
)
DISTKEY (id) SORTKEY (id);

CREATE TABLE IF NOT EXISTS datalake_ops.run_manifest (
    pipeline     varchar(64)    NOT NULL,
    run_key      varchar(128)   NOT NULL,
    window_start timestamptz    NOT NULL,
    window_end   timestamptz    NOT NULL,
    manifest     varchar(65535) NOT NULL,
    loaded_at    timestamptz    NOT NULL DEFAULT getdate(),
    PRIMARY KEY (pipeline, run_key)
)
DISTSTYLE ALL;

CREATE TABLE IF NOT EXISTS epilot_datalake.WorkflowExecution (
    org_id varchar(64) NOT NULL, id varchar(128) NOT NULL, name varchar(1024), status varchar(32),
    definition_id varchar(128), created_at timestamptz, last_updated_at timestamptz,
    started_at timestamptz, completed_at timestamptz, PRIMARY KEY (id)
) DISTKEY (id) SORTKEY (org_id, created_at);

CREATE TABLE IF NOT EXISTS epilot_datalake.WorkflowPhases (
    id varchar(128) NOT NULL, position int, workflow_execution_id varchar(128) NOT NULL,
    definition_id varchar(128), name varchar(1024), status varchar(32), created_at timestamptz,
    started_at timestamptz, completed_at timestamptz, org_id varchar(64) NOT NULL
) DISTKEY (workflow_execution_id) SORTKEY (org_id, workflow_execution_id);

CREATE TABLE IF NOT EXISTS epilot_datalake.WorkflowTasks (
    org_id varchar(64) NOT NULL, id varchar(128) NOT NULL, phase_name varchar(1024), position int,
    name varchar(1024), status varchar(32), phase_id varchar(128), workflow_execution_id varchar(128) NOT NULL,
    definition_id varchar(128), entity_ref_id varchar(128), created_at timestamptz, started_at timestamptz,
    completed_at timestamptz, last_updated_at timestamptz, due_date timestamptz, assigned_to varchar(4096),
    assigned_to_in_progress varchar(1024), manually_created boolean, enabled boolean
) DISTKEY (workflow_execution_id) SORTKEY (org_id, workflow_execution_id);

CREATE TABLE IF NOT EXISTS epilot_datalake.WorkflowCancellations (
    org_id varchar(64) NOT NULL, workflow_execution_id varchar(128) NOT NULL,
    closing_reason_id varchar(128), closing_reason_title varchar(1024)
) DISTKEY (workflow_execution_id) SORTKEY (org_id, workflow_execution_id);

CREATE TABLE IF NOT EXISTS epilot_datalake.WorkflowContexts (
    org_id varchar(64) NOT NULL, workflow_execution_id varchar(128) NOT NULL,
    context_entity_id varchar(128), context_entity_schema varchar(128)
) DISTKEY (workflow_execution_id) SORTKEY (org_id, workflow_execution_id);

CREATE TABLE IF NOT EXISTS datalake_ops.snapshot_refresh_needed (
    month_key    varchar(6)    NOT NULL,
    reason       varchar(1024) NOT NULL,
    requested_at timestamptz   NOT NULL DEFAULT getdate(),
    PRIMARY KEY (month_key)
)
DISTSTYLE ALL;

CREATE TABLE IF NOT EXISTS datalake_ops.workflow_execution_version (
    id               varchar(128) NOT NULL,
    org_id           varchar(64)  NOT NULL,
    last_update_time timestamptz  NOT NULL,
    deleted          boolean      NOT NULL,
    event_id         varchar(256) NOT NULL,
    run_key          varchar(128) NOT NULL,
    PRIMARY KEY (id)
)
DISTKEY (id) SORTKEY (id);

-- content_hash: see include/sql/warehouse/ddl.sql (64 hex digits, ASCII: 64 bytes).
CREATE TABLE IF NOT EXISTS datalake_ops.workflow_event_owner (
    id           varchar(256) NOT NULL,
    run_key      varchar(128) NOT NULL,
    content_hash varchar(64),
    PRIMARY KEY (id)
)
DISTKEY (id) SORTKEY (id);

-- Typed tables (plugins/datalake/typed/, see include/sql/warehouse/ddl.sql for what each holds).
CREATE TABLE IF NOT EXISTS datalake_ops.typed_schemas (
    org_id varchar(64) NOT NULL, schema_name varchar(63) NOT NULL, built_at timestamptz, PRIMARY KEY (org_id)
) DISTSTYLE ALL;
CREATE TABLE IF NOT EXISTS datalake_ops.typed_seen_runs (
    run_key varchar(128) NOT NULL, loaded_at timestamptz NOT NULL, PRIMARY KEY (run_key)
) DISTSTYLE ALL;
CREATE TABLE IF NOT EXISTS datalake_ops.typed_pending (
    account varchar(64) NOT NULL, entity_id varchar(64) NOT NULL, entity_schema varchar(128),
    PRIMARY KEY (account, entity_id)
) DISTKEY (entity_id) SORTKEY (account);
