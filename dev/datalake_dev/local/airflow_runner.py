"""Airflow for the local platform: `airflow standalone` (SQLite, LocalExecutor) with the
project's dags/ and plugins/, and airflow_settings.yaml applied."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from datalake.config import PROJECT_ROOT
from datalake_dev.local.airflow_settings import airflow_env, load_airflow_settings, pools
from datalake_dev.local.processes import spawn

ADMIN_USER = "admin"


def base_env(airflow_home: Path, port: int) -> dict[str, str]:
    return {
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # Local platform: the pipelines run as soon as they are parsed.
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        # A local platform has hours, not months, of data: the monthly snapshot must not wait
        # for every hour of last month (see entity_operations_monthly_snapshot's doc).
        "DATALAKE_SNAPSHOT_REQUIRE_COMPLETE_HOURS": "false",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
        # standalone starts its components as `airflow ...` from PATH: use this venv's.
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(PROJECT_ROOT / "plugins"), os.environ.get("PYTHONPATH")])
        ),
    }


def airflow_process_env(
    airflow_home: Path,
    port: int,
    s3_endpoint: str,
    warehouse_port: int,
    metadata_uri: str | None = None,
) -> dict[str, str]:
    settings = load_airflow_settings()
    env = {
        **base_env(airflow_home, port),
        **airflow_env(settings, s3_endpoint=s3_endpoint, warehouse_port=warehouse_port),
    }
    if metadata_uri:
        # psycopg 3 serves SQLAlchemy's sync and async engines (no psycopg2/asyncpg needed).
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = metadata_uri
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"] = metadata_uri
    return env


def airflow_cli(
    env: dict[str, str], *args: str, timeout: float = 300
) -> subprocess.CompletedProcess:
    airflow = Path(sys.executable).parent / "airflow"
    return subprocess.run(
        [str(airflow), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def prepare(env: dict[str, str]) -> None:
    """Migrate the metadata DB and create the pools of airflow_settings.yaml."""
    result = airflow_cli(env, "db", "migrate")
    if result.returncode != 0:
        raise RuntimeError(
            f"airflow db migrate failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
    for name, slots, description in pools(load_airflow_settings()):
        result = airflow_cli(env, "pools", "set", name, str(slots), description)
        if result.returncode != 0:
            raise RuntimeError(f"airflow pools set {name} failed:\n{result.stderr[-2000:]}")


def start_standalone(env: dict[str, str], log_dir: Path) -> int:
    airflow = Path(sys.executable).parent / "airflow"
    return spawn(
        "airflow", [str(airflow), "standalone"], log_dir, env=env, cwd=Path(env["AIRFLOW_HOME"])
    )


def health(url: str, timeout: float = 5) -> dict | None:
    try:
        with urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=timeout) as resp:
            return json.loads(resp.read())
    except Exception:
        return None


def all_healthy(report: dict | None) -> bool:
    if not report:
        return False
    components = [v for v in report.values() if isinstance(v, dict) and "status" in v]
    return bool(components) and all(c["status"] == "healthy" for c in components)


def wait_healthy(url: str, pid: int, timeout: float = 300) -> dict:
    from datalake_dev.local.processes import is_alive

    deadline = time.monotonic() + timeout
    report = None
    while time.monotonic() < deadline:
        if not is_alive(pid):
            raise RuntimeError("airflow standalone exited during start-up; see its log")
        report = health(url)
        if all_healthy(report):
            return report
        time.sleep(3)
    raise TimeoutError(f"Airflow at {url} not healthy within {timeout:.0f}s: {report}")


HOURLY_DAGS = ("entity_operations_hourly", "workflow_executions_hourly")


def backfill_hours(
    env: dict[str, str],
    dag_id: str,
    first_hour,
    last_hour,
    timeout: float = 180,
    reprocess: str = "none",
) -> None:
    """`airflow backfill create` over arrival hours [first_hour, last_hour] (logical dates are
    the data interval starts). Retried until the DAG processor has serialised the DAG (and
    while standalone's SQLite database is locked by the scheduler)."""
    deadline = time.monotonic() + timeout
    attempts = 0
    while True:
        result = airflow_cli(
            env,
            "backfill",
            "create",
            "--dag-id",
            dag_id,
            "--from-date",
            first_hour.isoformat(),
            "--to-date",
            last_hour.isoformat(),
            "--reprocess-behavior",
            reprocess,
        )
        attempts += 1
        if result.returncode == 0:
            return
        if attempts > 1 and "AlreadyRunningBackfill" in result.stderr:
            return  # an earlier attempt created it and then failed on SQLite's lock afterwards
        if time.monotonic() > deadline:
            raise RuntimeError(f"airflow backfill create {dag_id} failed:\n{result.stderr[-2000:]}")
        time.sleep(5)


def admin_password(airflow_home: Path) -> str | None:
    generated = airflow_home / "simple_auth_manager_passwords.json.generated"
    if generated.exists():
        try:
            return json.loads(generated.read_text()).get(ADMIN_USER)
        except json.JSONDecodeError:
            return None
    return None
