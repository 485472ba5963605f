-- The _seq of every staged row left after the dedupe: the rows this run loads (local load).
SELECT _seq FROM stage_keys ORDER BY _seq
