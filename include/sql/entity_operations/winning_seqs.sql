-- The _seq of every winner of current_entities_rank.sql that is not a deleteEntity: the staged
-- rows the local load copies into current_entities.
SELECT _seq FROM stage_latest WHERE operation <> 'deleteEntity' ORDER BY _seq
