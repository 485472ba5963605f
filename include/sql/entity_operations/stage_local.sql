-- Local PostgreSQL: the run's staging table, filled by COPY FROM STDIN.
CREATE TEMP TABLE stage_entity_operations (
    LIKE epilot_datalake.entity_operations,
    _seq bigint NOT NULL
) ON COMMIT DROP;
CREATE INDEX ON stage_entity_operations (id, _seq);
