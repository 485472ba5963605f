-- Serialises typed refreshes (Redshift has no row locks: the table lock, held to COMMIT).
LOCK datalake_ops.typed_seen_runs;
