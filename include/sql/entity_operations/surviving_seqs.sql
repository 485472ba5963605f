-- The _seq of every staged row left after the dedupe: the rows this run loads (local load).
-- In no particular order: entity_load._sorted_seqs sorts them.
SELECT _seq FROM stage_keys
