-- Redshift twin of include/sql/typed/org_schema.sql: VARCHAR lengths are bytes, no indexes.
CREATE SCHEMA IF NOT EXISTS {{ schema }};
CREATE TABLE IF NOT EXISTS {{ schema }}._attributes (
    entity_schema      VARCHAR(128)  NOT NULL,
    table_name         VARCHAR(63)   NOT NULL,
    attribute          VARCHAR(1024) NOT NULL,
    column_name        VARCHAR(63)   NOT NULL,
    type               VARCHAR(16)   NOT NULL,
    ordinal            INTEGER       NOT NULL,
    first_seen         TIMESTAMPTZ,
    last_seen          TIMESTAMPTZ,
    rows_with_value    BIGINT        NOT NULL,
    values_not_fitting BIGINT        NOT NULL,
    widened_from       VARCHAR(16),
    PRIMARY KEY (entity_schema, attribute)
) DISTSTYLE ALL;
CREATE TABLE IF NOT EXISTS {{ schema }}._relations (
    entity_id         VARCHAR(64)   NOT NULL,
    entity_schema     VARCHAR(128),
    attribute         VARCHAR(1024) NOT NULL,
    related_entity_id VARCHAR(64)   NOT NULL
) DISTKEY (entity_id) SORTKEY (entity_id);
