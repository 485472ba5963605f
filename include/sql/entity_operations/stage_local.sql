-- Local PostgreSQL: the run's staging table, filled by COPY FROM STDIN. Indexed and analysed
-- after the COPY (stage_local_index.sql): building an index once is faster than maintaining it
-- row by row, and a temp table has no statistics unless someone runs ANALYZE.
-- The load ranks and dedupes a whole hour: sorts stay in memory (this transaction only).
SET LOCAL work_mem = '256MB';
CREATE TEMP TABLE stage_entity_operations (
    LIKE epilot_datalake.entity_operations,
    _seq bigint NOT NULL
) ON COMMIT DROP;
