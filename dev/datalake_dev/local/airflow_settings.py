"""Apply airflow_settings.yaml (Astro CLI format) without the Astro CLI.

Connections and variables become AIRFLOW_CONN_* / AIRFLOW_VAR_* environment variables of
the Airflow processes (nothing stored in the metadata DB that could go stale when ports
change); pools are created with `airflow pools set`.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from datalake.config import PROJECT_ROOT

SETTINGS_FILE = PROJECT_ROOT / "airflow_settings.yaml"


def load_airflow_settings(path: Path = SETTINGS_FILE) -> dict:
    data = yaml.safe_load(path.read_text()) or {}
    return data.get("airflow", {}) or {}


def connection_env(conn: dict) -> tuple[str, str]:
    body = {
        "conn_type": conn["conn_type"],
        "host": conn.get("conn_host") or None,
        "schema": conn.get("conn_schema") or None,
        "login": conn.get("conn_login") or None,
        "password": conn.get("conn_password") or None,
        "port": conn.get("conn_port") or None,
        "extra": conn.get("conn_extra") or {},
    }
    body = {k: v for k, v in body.items() if v not in (None, {})}
    return f"AIRFLOW_CONN_{conn['conn_id'].upper()}", json.dumps(body)


def airflow_env(
    settings: dict,
    *,
    s3_endpoint: str | None = None,
    warehouse_port: int | None = None,
    warehouse_host: str = "127.0.0.1",
) -> dict[str, str]:
    """Environment for the Airflow processes. The file's hosts are those of `astro dev start`'s
    containers (docker-compose.override.yml); the host processes of `make run` reach their
    servers on 127.0.0.1 instead, so the local endpoints replace the file's hosts and ports."""
    env: dict[str, str] = {}
    for conn in settings.get("connections", []) or []:
        conn = dict(conn)
        if conn["conn_id"] == "aws_default" and s3_endpoint:
            conn["conn_extra"] = {**(conn.get("conn_extra") or {}), "endpoint_url": s3_endpoint}
        if conn["conn_id"] == "redshift_default" and warehouse_port:
            conn["conn_host"], conn["conn_port"] = warehouse_host, warehouse_port
        key, value = connection_env(conn)
        env[key] = value
    for var in settings.get("variables", []) or []:
        env[f"AIRFLOW_VAR_{var['variable_name'].upper()}"] = str(var["variable_value"])
    return env


def pools(settings: dict) -> list[tuple[str, int, str]]:
    return [
        (p["pool_name"], int(p["pool_slot"]), p.get("pool_description", ""))
        for p in settings.get("pools", []) or []
    ]
