-- What breaks tenant isolation right now (no rows: nothing). See isolation.sql, step 9.
SELECT object, problem FROM datalake_ops.isolation_violations() ORDER BY object, problem;
