-- On Redshift the workflow load locks the five tables in its transaction; PostgreSQL uses
-- the pipeline lock row (datalake.locks).
LOCK {% for table in tables %}epilot_datalake.{{ table }}{{ ", " if not loop.last }}{% endfor %};
