-- After the winning rows are in current_entities (current_winners_local.sql).
DROP TABLE stage_latest;
