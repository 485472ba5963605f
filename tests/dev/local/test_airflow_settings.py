"""airflow_settings.yaml, the one settings file of both local platforms: as written it suits
`astro dev start`'s containers (hosts = services of docker-compose.override.yml), and `make run`
turns it into connection/variable environment variables with its own 127.0.0.1 endpoints."""

import json
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from datalake_dev.local.airflow_settings import airflow_env, load_airflow_settings, pools

ROOT = Path(__file__).resolve().parents[3]


def _connections():
    return {c["conn_id"]: c for c in load_airflow_settings()["connections"]}


def test_local_endpoints_override_the_file_hosts_and_ports():
    env = airflow_env(
        load_airflow_settings(), s3_endpoint="http://127.0.0.1:6001", warehouse_port=6002
    )
    aws = json.loads(env["AIRFLOW_CONN_AWS_DEFAULT"])
    assert aws["conn_type"] == "aws" and aws["extra"]["endpoint_url"] == "http://127.0.0.1:6001"
    redshift = json.loads(env["AIRFLOW_CONN_REDSHIFT_DEFAULT"])
    assert (redshift["host"], redshift["port"]) == ("127.0.0.1", 6002)
    assert redshift["schema"] == "epilot_datalake"
    assert env["AIRFLOW_VAR_DATALAKE_LANDING_BUCKET"] == "datalake-landing"


def test_connection_env_is_what_airflow_parses():
    from airflow.models.connection import Connection

    env = airflow_env(
        load_airflow_settings(), s3_endpoint="http://127.0.0.1:6001", warehouse_port=6002
    )
    conn = Connection.from_json(env["AIRFLOW_CONN_REDSHIFT_DEFAULT"], conn_id="redshift_default")
    assert (conn.host, conn.login, conn.port) == ("127.0.0.1", "datalake_admin", 6002)


def test_the_file_s_hosts_are_the_compose_services_the_containers_reach():
    """As written (what `astro dev start` applies) the endpoints are the services of
    docker-compose.override.yml on their container ports, on Astro's `airflow` network."""
    compose = yaml.safe_load((ROOT / "docker-compose.override.yml").read_text())["services"]
    s3 = urlsplit(_connections()["aws_default"]["conn_extra"]["endpoint_url"])
    warehouse = _connections()["redshift_default"]
    for host, port in ((s3.hostname, s3.port), (warehouse["conn_host"], warehouse["conn_port"])):
        assert host in compose and "airflow" in compose[host]["networks"]
        container_ports = {int(p.rsplit(":", 1)[1]) for p in compose[host]["ports"]}
        assert port in container_ports, f"{host}:{port} is not a port the service listens on"
    assert "-p" in compose[s3.hostname]["entrypoint"]


def test_no_pools_to_create():
    """The DAGs need no pool (tests/dags/test_assets_and_pools.py): neither platform makes one."""
    assert pools(load_airflow_settings()) == []
