-- The row of one pipeline lock, put back when missing (plugins/datalake/locks.py).
INSERT INTO datalake_ops.pipeline_locks (name) VALUES (%(name)s) ON CONFLICT (name) DO NOTHING
