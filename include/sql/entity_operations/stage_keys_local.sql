-- Local PostgreSQL: the run's staged keys, filled by COPY FROM STDIN from the staged Parquet
-- (these columns only). The dedupe, the merge's deletes, the ownership insert, the ranking of
-- current_entities_rank.sql and mark_stale_snapshots.sql (which drops it) work on these rows;
-- the whole rows that survive the dedupe are then copied straight into entity_operations, so
-- the hour's 1.5 GB of rows are written once, not staged and then copied again.
-- Indexed and analysed after the COPY (stage_keys_index.sql): building an index once is faster
-- than maintaining it row by row, and a temp table has no statistics unless someone runs ANALYZE.
-- The load ranks and dedupes a whole hour: sorts stay in memory (this transaction only).
SET LOCAL work_mem = '256MB';
CREATE TEMP TABLE stage_keys (
    id        varchar(256) NOT NULL,
    entity_id varchar(64)  NOT NULL,
    time      varchar(24)  NOT NULL,
    operation varchar(32)  NOT NULL,
    year      varchar(4)   NOT NULL,
    month     varchar(2)   NOT NULL,
    _seq      bigint       NOT NULL
) ON COMMIT DROP;
