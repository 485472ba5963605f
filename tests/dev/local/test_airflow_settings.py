"""airflow_settings.yaml becomes Airflow connection/variable environment variables."""

import json

from datalake_dev.local.airflow_settings import airflow_env, load_airflow_settings, pools


def test_local_endpoints_override_the_file_ports():
    env = airflow_env(load_airflow_settings(), s3_endpoint="http://127.0.0.1:6001", warehouse_port=6002)
    aws = json.loads(env["AIRFLOW_CONN_AWS_DEFAULT"])
    assert aws["conn_type"] == "aws" and aws["extra"]["endpoint_url"] == "http://127.0.0.1:6001"
    redshift = json.loads(env["AIRFLOW_CONN_REDSHIFT_DEFAULT"])
    assert redshift["port"] == 6002 and redshift["schema"] == "epilot_datalake"
    assert env["AIRFLOW_VAR_DATALAKE_LANDING_BUCKET"] == "datalake-landing"


def test_connection_env_is_what_airflow_parses():
    from airflow.models.connection import Connection

    env = airflow_env(load_airflow_settings())
    conn = Connection.from_json(env["AIRFLOW_CONN_REDSHIFT_DEFAULT"], conn_id="redshift_default")
    assert conn.host == "127.0.0.1" and conn.login == "datalake_admin" and conn.port == 5439


def test_pools_are_declared():
    names = {name for name, _, _ in pools(load_airflow_settings())}
    assert "warehouse_entity_operations" in names
