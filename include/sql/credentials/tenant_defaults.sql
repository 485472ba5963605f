-- Session defaults of one tenant credential. A tenant can change these in its own
-- session (they are user settings in PostgreSQL), so they are defaults for honest clients only;
-- the tenant watchdog (datalake.tenant_watchdog) is what ends a query past the limit.
ALTER ROLE {username} SET statement_timeout = {statement_timeout};
ALTER ROLE {username} SET idle_in_transaction_session_timeout = {statement_timeout};
