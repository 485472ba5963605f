-- The organisation's schema with its attribute catalog and relation link table. Idempotent.
-- No privilege for PUBLIC (CREATE SCHEMA and CREATE TABLE grant none): only the
-- organisation's credentials are granted, by grant_credential.sql.
CREATE SCHEMA IF NOT EXISTS {{ schema }};
CREATE TABLE IF NOT EXISTS {{ schema }}._attributes (
    entity_schema      varchar(128)  NOT NULL,
    table_name         varchar(63)   NOT NULL,
    attribute          varchar(1024) NOT NULL,
    column_name        varchar(63)   NOT NULL,
    type               varchar(16)   NOT NULL,
    ordinal            integer       NOT NULL,
    first_seen         timestamptz,
    last_seen          timestamptz,
    rows_with_value    bigint        NOT NULL,
    values_not_fitting bigint        NOT NULL,
    widened_from       varchar(16),
    PRIMARY KEY (entity_schema, attribute)
);
CREATE TABLE IF NOT EXISTS {{ schema }}._relations (
    entity_id         varchar(64)   NOT NULL,
    entity_schema     varchar(128),
    attribute         varchar(1024) NOT NULL,
    related_entity_id varchar(64)   NOT NULL
);
CREATE INDEX IF NOT EXISTS _relations_entity_idx ON {{ schema }}._relations (entity_id);
