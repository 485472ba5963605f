-- Local PostgreSQL: the _seq of the staged rows current_entities.sql chose (deletes excepted);
-- the load copies those rows from the staged files into current_entities.
COPY (SELECT _seq FROM stage_latest WHERE operation <> 'deleteEntity') TO STDOUT (FORMAT binary);
