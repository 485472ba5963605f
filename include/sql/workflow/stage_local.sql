-- Local PostgreSQL: the run's staging tables, filled by COPY FROM STDIN from the staged
-- Parquet (plugins/datalake/pipeline/workflow_load.py). Dropped at COMMIT.
-- The Redshift twin is include/sql/redshift/stage_workflow.sql.

-- One row per delivered (valid) event: what the merge orders by.
CREATE TEMP TABLE stage_workflow_events (
    event_id         varchar(256) NOT NULL,
    detail_type      varchar(64)  NOT NULL,
    execution_id     varchar(128) NOT NULL,
    org_id           varchar(64)  NOT NULL,
    last_update_time timestamptz  NOT NULL,
    deleted          boolean      NOT NULL,
    event_time       timestamptz,
    content_hash     varchar(64),
    _seq             bigint       NOT NULL
) ON COMMIT DROP;
CREATE INDEX ON stage_workflow_events (event_id, _seq);

-- The rows of the five tables, each tagged with the event (and delivered copy) it came from.
CREATE TEMP TABLE stage_workflow_workflowexecution (
    LIKE epilot_datalake.WorkflowExecution, _event_id varchar(256) NOT NULL, _seq bigint NOT NULL
) ON COMMIT DROP;
CREATE TEMP TABLE stage_workflow_workflowphases (
    LIKE epilot_datalake.WorkflowPhases, _event_id varchar(256) NOT NULL, _seq bigint NOT NULL
) ON COMMIT DROP;
CREATE TEMP TABLE stage_workflow_workflowtasks (
    LIKE epilot_datalake.WorkflowTasks, _event_id varchar(256) NOT NULL, _seq bigint NOT NULL
) ON COMMIT DROP;
CREATE TEMP TABLE stage_workflow_workflowcancellations (
    LIKE epilot_datalake.WorkflowCancellations, _event_id varchar(256) NOT NULL, _seq bigint NOT NULL
) ON COMMIT DROP;
CREATE TEMP TABLE stage_workflow_workflowcontexts (
    LIKE epilot_datalake.WorkflowContexts, _event_id varchar(256) NOT NULL, _seq bigint NOT NULL
) ON COMMIT DROP;
