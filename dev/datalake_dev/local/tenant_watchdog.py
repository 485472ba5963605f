"""The tenant watchdog of the local PostgreSQL stand-in.

PostgreSQL leaves statement_timeout, idle_in_transaction_session_timeout and work_mem to the
user: a tenant can lift its session defaults. So the local platform runs this watchdog, as the
pipeline's role, which every ``interval`` seconds

- ends tenant backends whose query ran past ``limit`` seconds (default 600, env
  DATALAKE_TENANT_QUERY_LIMIT_SECONDS) or whose transaction sat idle that long,
- ends tenant backends holding a lock that a non-tenant backend has waited for past ``grace``
  seconds (default 30, env DATALAKE_TENANT_BLOCK_GRACE_SECONDS): a tenant cannot take the
  pipeline's own locks, but this also covers any lock a future load step might need,
- puts back the password every active credential was issued with (a role may change its own).

``watch_once`` is the core (one round, returns what it ended); ``main`` loops. On Redshift the
same limit is a WLM query monitoring rule (credentials.render_redshift_wlm).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass

from datalake.sqlfiles import read_sql

log = logging.getLogger(__name__)

DEFAULT_LIMIT_SECONDS = 600
DEFAULT_GRACE_SECONDS = 30
DEFAULT_INTERVAL_SECONDS = 15


@dataclass(frozen=True)
class Ended:
    pid: int
    username: str
    reason: str
    terminated: bool


def limit_from_env() -> int:
    return _positive_int("DATALAKE_TENANT_QUERY_LIMIT_SECONDS", DEFAULT_LIMIT_SECONDS)


def _positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    value = int(raw)
    if value <= 0:
        raise ValueError(f"{name} must be a positive number of seconds, not {raw!r}")
    return value


def watch_once(
    conn,
    limit_seconds: float,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    restore_passwords: bool = True,
) -> list[Ended]:
    """One round on an autocommit connection of the pipeline's role; returns the backends ended."""
    targets = conn.execute(
        read_sql("credentials/watchdog_targets.sql"),
        {"limit_seconds": float(limit_seconds), "grace_seconds": float(grace_seconds)},
    ).fetchall()
    ended = []
    for pid, username, reason in targets:
        terminated = bool(
            conn.execute("SELECT pg_catalog.pg_terminate_backend(%s, 5000)", (pid,)).fetchone()[0]
        )
        ended.append(Ended(pid, username, reason, terminated))
        log.warning("ended tenant backend %s of %s: %s", pid, username, reason)
    if restore_passwords:
        from datalake.credentials import restore_tenant_passwords

        with conn.transaction():
            restore_tenant_passwords(conn)
    return ended


def main() -> int:
    from datalake.config import load_settings
    from datalake.warehouse import connect

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    limit = limit_from_env()
    grace = _positive_int("DATALAKE_TENANT_BLOCK_GRACE_SECONDS", DEFAULT_GRACE_SECONDS)
    interval = _positive_int("DATALAKE_TENANT_WATCHDOG_INTERVAL_SECONDS", DEFAULT_INTERVAL_SECONDS)
    settings = load_settings()
    log.info("tenant watchdog: limit %ss, lock grace %ss, every %ss", limit, grace, interval)
    while True:
        try:
            with connect(settings, autocommit=True) as conn:
                while True:
                    watch_once(conn, limit, grace)
                    time.sleep(interval)
        except Exception as exc:  # noqa: BLE001 - the warehouse restarting must not end the watchdog
            log.error("tenant watchdog round failed: %s; retrying in %ss", exc, interval)
            time.sleep(interval)


if __name__ == "__main__":
    raise SystemExit(main())
