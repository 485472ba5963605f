-- Every organisation with current entities (the first build, a rebuild of one schema everywhere).
SELECT DISTINCT account FROM epilot_datalake.current_entities ORDER BY account
