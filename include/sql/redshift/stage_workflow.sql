-- Redshift: the run's workflow staging tables, filled by COPY from the run's validated
-- Parquet in the lake ({{ staging_uri }}<stage>/batch-*.parquet, written by
-- plugins/datalake/pipeline/workflow_batch.py). COPY maps Parquet columns by position: the
-- order is workflow_flatten.EVENT_COLUMNS + content_hash + _seq, and each table's columns + _event_id, _seq.
CREATE TEMP TABLE stage_workflow_events (
    event_id         varchar(256),
    detail_type      varchar(64),
    execution_id     varchar(128),
    org_id           varchar(64),
    last_update_time timestamptz,
    deleted          boolean,
    event_time       timestamptz,
    content_hash     varchar(64),
    _seq             bigint
);
CREATE TEMP TABLE stage_workflow_workflowexecution (
    org_id          varchar(64),
    id              varchar(128),
    name            varchar(1024),
    status          varchar(32),
    definition_id   varchar(128),
    created_at      timestamptz,
    last_updated_at timestamptz,
    started_at      timestamptz,
    completed_at    timestamptz,
    _event_id       varchar(256),
    _seq            bigint
);
CREATE TEMP TABLE stage_workflow_workflowphases (
    id                    varchar(128),
    position              int,
    workflow_execution_id varchar(128),
    definition_id         varchar(128),
    name                  varchar(1024),
    status                varchar(32),
    created_at            timestamptz,
    started_at            timestamptz,
    completed_at          timestamptz,
    org_id                varchar(64),
    _event_id             varchar(256),
    _seq                  bigint
);
CREATE TEMP TABLE stage_workflow_workflowtasks (
    org_id                  varchar(64),
    id                      varchar(128),
    phase_name              varchar(1024),
    position                int,
    name                    varchar(1024),
    status                  varchar(32),
    phase_id                varchar(128),
    workflow_execution_id   varchar(128),
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
    enabled                 boolean,
    _event_id               varchar(256),
    _seq                    bigint
);
CREATE TEMP TABLE stage_workflow_workflowcancellations (
    org_id                varchar(64),
    workflow_execution_id varchar(128),
    closing_reason_id     varchar(128),
    closing_reason_title  varchar(1024),
    _event_id             varchar(256),
    _seq                  bigint
);
CREATE TEMP TABLE stage_workflow_workflowcontexts (
    org_id                varchar(64),
    workflow_execution_id varchar(128),
    context_entity_id     varchar(128),
    context_entity_schema varchar(128),
    _event_id             varchar(256),
    _seq                  bigint
);
{% for stage in stages %}
COPY stage_workflow_{{ stage }}
FROM '{{ staging_uri }}{{ stage }}/'
IAM_ROLE '{{ iam_role }}'
FORMAT AS PARQUET;
{% endfor %}
