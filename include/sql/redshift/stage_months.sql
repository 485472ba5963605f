-- Redshift: the event months of the run's curated rows (one UNLOAD per month).
SELECT DISTINCT year, month FROM stage_entity_operations ORDER BY year, month;
