-- The _seq values another query selects, packed into one bytea of big-endian int8s (one value
-- to read instead of a row per seq: datalake.entity.load.sorted_seqs).
SELECT string_agg(int8send(_seq), ''::bytea) FROM ({{ query }}) seqs
