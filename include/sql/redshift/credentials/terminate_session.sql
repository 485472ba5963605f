-- End one session (PG_TERMINATE_BACKEND: its open transaction rolls back, its locks go).
SELECT pg_terminate_backend(%(pid)s);
