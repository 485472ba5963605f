-- The _seq of every winner of current_entities_rank.sql that is not a deleteEntity: the staged
-- rows the local load copies into current_entities. In no particular order: entity_load._sorted_seqs
-- sorts them.
SELECT _seq FROM stage_latest WHERE operation <> 'deleteEntity'
