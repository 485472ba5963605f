"""`make run` / `make stop`: the whole product on one machine.

up:   embedded PostgreSQL (data under .local/, survives restarts) -> moto S3 server ->
      buckets + warehouse DDL (`datalake init`) -> past hours of sample events ->
      continuous producer -> Airflow standalone, waited on until /api/v2/monitor/health
      reports every component healthy.
down: stops, by the pids recorded in .local/platform.json, exactly what `up` started.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from datalake.config import (
    DEFAULT_AIRFLOW_PORT,
    DEFAULT_S3_PORT,
    DEFAULT_WAREHOUSE_PORT,
    read_state,
    state_dir,
    state_file,
)
from datalake_dev.local import airflow_runner
from datalake_dev.local.ports import choose_port
from datalake_dev.local.postgres import LocalPostgres
from datalake_dev.local.processes import is_alive, spawn, stop_group
from datalake_dev.local.s3server import start_s3_server


def _write_state(state: dict) -> None:
    """The state file holds the admin's warehouse URI (with its password): owner-only, 0600,
    from the moment it exists (created with that mode, and tightened if an older one was not)."""
    import os

    path = state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(json.dumps(state, indent=2))


def _running(state: dict, name: str) -> bool:
    return is_alive(state.get("pids", {}).get(name))


def up(
    seed_hours: int = 6, follow_interval: float = 60.0, with_airflow: bool = True, log=print
) -> dict:
    try:
        return _up(seed_hours, follow_interval, with_airflow, log)
    except BaseException:
        log(f"start-up failed; stopping what was started (logs in {state_dir() / 'logs'})")
        down(log=log)
        raise


def _up(seed_hours: int, follow_interval: float, with_airflow: bool, log) -> dict:
    root = state_dir()
    logs = root / "logs"
    state = read_state()
    if state.get("pids") and any(_running(state, n) for n in state["pids"]):
        log("The platform is already (partly) running; stopping it first for a clean start.")
        down(log=log)
        state = read_state()
    ports = state.get("ports", {})

    # Warehouse: the port is kept across restarts when still free, so saved BI connections work.
    pg_port = choose_port(
        ports.get("warehouse", DEFAULT_WAREHOUSE_PORT), "warehouse (PostgreSQL)", log
    )
    pg = LocalPostgres(root / "postgres", pg_port)
    created = pg.init()
    pg.start()
    warehouse_uri = pg.bootstrap()
    airflow_db_uri = pg.bootstrap_airflow_db()
    log(
        f"warehouse: PostgreSQL {'created' if created else 'reused'} at 127.0.0.1:{pg_port} "
        f"(data in {pg.pgdata})"
    )

    s3_port = choose_port(ports.get("s3", DEFAULT_S3_PORT), "S3 server", log)
    airflow_port = choose_port(
        ports.get("airflow", DEFAULT_AIRFLOW_PORT), "Airflow API server", log
    )
    state = {
        "ports": {"warehouse": pg_port, "s3": s3_port, "airflow": airflow_port},
        "endpoints": {
            "S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
            "LANDING_BUCKET": "datalake-landing",
            "LAKE_BUCKET": "datalake-lake",
            "WAREHOUSE_URI": warehouse_uri,
            "AIRFLOW_URL": f"http://127.0.0.1:{airflow_port}",
        },
        "pids": {},
        "postgres_root": str(pg.root),
    }
    # The state file is the record `down` relies on: write it after every start.
    state["pids"]["postgres"] = pg.pid()
    _write_state(state)
    state["pids"]["s3"] = start_s3_server(s3_port, logs)
    _write_state(state)
    log(f"S3: moto server at {state['endpoints']['S3_ENDPOINT_URL']}")

    if os.environ.get("DATALAKE_LOCAL_WAREHOUSE", "").lower() == "redshift":
        _start_redshift_double(state, warehouse_uri, ports, logs, log)
    elif os.environ.get("DATALAKE_LOCAL_WAREHOUSE"):
        raise ValueError(
            f"WAREHOUSE={os.environ['DATALAKE_LOCAL_WAREHOUSE']}: "
            "only 'redshift' (or nothing) is known"
        )
    env = _child_env(state)
    _datalake(["init"], env)
    # Ends tenant queries past DATALAKE_TENANT_QUERY_LIMIT_SECONDS (default 10 min) and tenant
    # backends blocking the pipeline; runs as the pipeline's role.
    # (on PostgreSQL itself, also when the warehouse is reached through the Redshift double)
    state["pids"]["tenant_watchdog"] = spawn(
        "tenant_watchdog",
        [sys.executable, "-m", "datalake_dev.local.tenant_watchdog"],
        logs,
        env={**env, "WAREHOUSE_URI": warehouse_uri},
    )
    _write_state(state)
    if seed_hours:
        _datalake(["produce", "--hours", str(seed_hours)], env)
    state["pids"]["producer"] = spawn(
        "producer",
        [_datalake_bin(), "produce", "--follow", "--interval", str(follow_interval)],
        logs,
        env=env,
    )
    _write_state(state)
    log(f"producer: {seed_hours} past hours written; new events every {follow_interval:.0f}s")

    if with_airflow:
        _start_airflow(state, env, root, airflow_port, pg_port, airflow_db_uri, seed_hours, log)
    log(f"Logs: {logs}    Stop everything: make stop")
    return state


def _start_airflow(
    state: dict,
    env: dict,
    root,
    airflow_port: int,
    pg_port: int,
    airflow_db_uri: str,
    seed_hours: int,
    log,
) -> None:
    """Airflow standalone against the platform, healthy, with backfills of the seeded hours."""
    logs = root / "logs"
    airflow_home = root / "airflow"
    airflow_home.mkdir(parents=True, exist_ok=True)
    aenv = {
        **env,
        **airflow_runner.airflow_process_env(
            airflow_home,
            airflow_port,
            state["endpoints"]["S3_ENDPOINT_URL"],
            pg_port,
            airflow_db_uri,
        ),
    }
    # What `datalake airflow ...` needs to run the Airflow CLI against this platform.
    state["airflow_cli_env"] = {
        k: v
        for k, v in aenv.items()
        if k.startswith(("AIRFLOW", "DATALAKE_")) or k in ("PATH", "PYTHONPATH", *env)
    }
    _write_state(state)
    log(
        "Airflow: migrating the metadata DB (database `airflow` in the local PostgreSQL); "
        "pools only if airflow_settings.yaml lists some ..."
    )
    airflow_runner.prepare(aenv)
    state["pids"]["airflow"] = airflow_runner.start_standalone(aenv, logs)
    _write_state(state)
    url = state["endpoints"]["AIRFLOW_URL"]
    log(f"Airflow: waiting for {url}/api/v2/monitor/health ...")
    report = airflow_runner.wait_healthy(url, state["pids"]["airflow"])
    password = airflow_runner.admin_password(airflow_home)
    log(
        "Airflow health: "
        + ", ".join(f"{k}={v.get('status')}" for k, v in report.items() if isinstance(v, dict))
    )
    if seed_hours:
        # Load the seeded past hours the way a user would: a backfill on the scheduler.
        from datetime import datetime, timedelta, timezone

        last = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) - timedelta(
            hours=1
        )
        first = last - timedelta(hours=seed_hours - 1)
        for dag_id in airflow_runner.HOURLY_DAGS:
            airflow_runner.backfill_hours(aenv, dag_id, first, last)
        log(
            f"backfills created for arrival hours {first:%Y-%m-%d %H:00} .. {last:%H:00} UTC "
            f"({', '.join(airflow_runner.HOURLY_DAGS)})"
        )
    log(
        f"\nAirflow UI: {url}   login: {airflow_runner.ADMIN_USER} / "
        f"{password or '(see ' + str(airflow_home) + ')'}"
    )


# The role name the double's COPY/UNLOAD are given locally (the double checks ASSUMEROLE, not IAM).
LOCAL_IAM_ROLE = "arn:aws:iam::000000000000:role/datalake-local-copy"
DEFAULT_REDSHIFT_DOUBLE_PORT = 5440


def _start_redshift_double(state: dict, upstream_uri: str, ports: dict, logs: Path, log) -> None:
    """The Redshift double in front of the local PostgreSQL; the platform's WAREHOUSE_URI
    becomes a redshift:// URI of it, verifying the double's certificate (verify-full)."""
    from urllib.parse import urlsplit

    from datalake_dev.local.ports import wait_for_port

    port = choose_port(
        ports.get("redshift_double", DEFAULT_REDSHIFT_DOUBLE_PORT), "Redshift double", log
    )
    cert_dir = logs.parent / "redshift-double"
    state["ports"]["redshift_double"] = port
    state["pids"]["redshift_double"] = spawn(
        "redshift_double",
        [
            sys.executable,
            "-m",
            "datalake_dev.redshift_double",
            "--upstream",
            upstream_uri,
            "--port",
            str(port),
            "--s3-endpoint-url",
            state["endpoints"]["S3_ENDPOINT_URL"],
            "--cert-dir",
            str(cert_dir),
        ],
        # moto takes any key; the double reads the lake with the local platform's S3.
        logs,
        env={
            **state["endpoints"],
            "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "local"),
            "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "local"),
            "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-central-1"),
        },
    )
    _write_state(state)
    wait_for_port(port)
    parts = urlsplit(upstream_uri)
    state["endpoints"]["WAREHOUSE_URI"] = (
        f"redshift://{parts.username}:{parts.password}@127.0.0.1:{port}{parts.path}"
        f"?sslrootcert={cert_dir / 'cert.pem'}"
    )
    state["endpoints"]["REDSHIFT_IAM_ROLE"] = LOCAL_IAM_ROLE
    _write_state(state)
    log(f"warehouse: Redshift double at 127.0.0.1:{port} in front of the PostgreSQL")


def down(log=print) -> None:
    state = read_state()
    pids = state.get("pids", {})
    for name in ("airflow", "producer", "tenant_watchdog", "redshift_double", "s3"):
        if stop_group(pids.get(name)):
            log(f"stopped {name} (pid {pids[name]})")
    root = Path(state.get("postgres_root", state_dir() / "postgres"))
    if (root / "data").exists():
        pg = LocalPostgres(root, state.get("ports", {}).get("warehouse", DEFAULT_WAREHOUSE_PORT))
        if pg.is_running():
            pg.stop()
            log(f"stopped postgres (pid {pids.get('postgres')})")
    if state:
        state["pids"] = {}
        _write_state(state)


def _datalake_bin() -> str:
    return str(Path(sys.executable).parent / "datalake")


def _child_env(state: dict) -> dict[str, str]:
    return dict(state["endpoints"])


def _datalake(args: list[str], env: dict[str, str]) -> None:
    import os
    import subprocess

    result = subprocess.run(
        [_datalake_bin(), *args], env={**os.environ, **env}, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"datalake {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    if result.stdout.strip():
        print(result.stdout.strip())
