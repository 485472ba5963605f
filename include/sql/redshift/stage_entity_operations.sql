-- Redshift: the run's staging table, filled by COPY from the run's validated Parquet in the
-- lake. COPY maps Parquet columns by position: the order is entity_schema.ENTITY_COLUMNS + _seq.
CREATE TEMP TABLE stage_entity_operations (
    id            varchar(256),
    "detail-type" varchar(64),
    operation     varchar(32),
    source        varchar(256),
    account       varchar(64),
    time          varchar(24),
    region        varchar(32),
    activity_id   varchar(64),
    entity_id     varchar(64),
    detail        varchar(65535),
    schema        varchar(128),
    month         varchar(2),
    year          varchar(4),
    _seq          bigint
);
COPY stage_entity_operations
FROM '{{ staging_uri }}'
IAM_ROLE '{{ iam_role }}'
FORMAT AS PARQUET;

-- The keys the dedupe, the merge and the ranking work on (as stage_keys_local.sql locally).
CREATE TEMP TABLE stage_keys AS
SELECT id, entity_id, time, operation, year, month, _seq FROM stage_entity_operations;
