-- Local PostgreSQL: the _seq of every staged row left after the dedupe (the rows this run
-- loads); the load copies those rows from the staged files into entity_operations.
COPY (SELECT _seq FROM stage_keys) TO STDOUT (FORMAT binary);
