"""One answer to "is the warehouse Redshift?": the settings (which SQL runs), the driver (TLS,
port) and an Airflow connection read either way agree, for every way a warehouse is named."""

import json
from types import SimpleNamespace

import pytest

from datalake import config, redshift
from datalake.errors import ConfigurationError
from datalake.warehouse import connect_kwargs

SERVERLESS_HOST = "lake-wg.123456789012.eu-central-1.redshift-serverless.amazonaws.com"
CLUSTER_HOST = "lake.abc123.eu-central-1.redshift.amazonaws.com"

URI_CASES = [
    # (WAREHOUSE_URI, WAREHOUSE_KIND, kind)
    (config.local_warehouse_uri(), None, "postgres"),
    ("postgresql://u:p@db.internal.example:5432/epilot_datalake", None, "postgres"),
    (f"redshift://u:p@{CLUSTER_HOST}:5439/epilot_datalake", None, "redshift"),
    (f"postgresql://u:p@{CLUSTER_HOST}:5439/epilot_datalake", None, "redshift"),
    (f"postgresql://u:p@{SERVERLESS_HOST}:5439/epilot_datalake", None, "redshift-serverless"),
    (f"redshift://u:p@{SERVERLESS_HOST}:5439/epilot_datalake", None, "redshift-serverless"),
    ("redshift://u:p@127.0.0.1:15439/epilot_datalake", None, "redshift"),  # the local double
    # a cluster behind a company DNS name: only the declaration can tell
    ("postgresql://u:p@warehouse.corp.example:5439/epilot_datalake", "redshift", "redshift"),
    (
        "postgresql://u:p@warehouse.corp.example:5439/epilot_datalake",
        "Redshift-Serverless",
        "redshift-serverless",
    ),
    (
        "redshift://u:p@127.0.0.1:15439/epilot_datalake",
        "redshift-serverless",
        "redshift-serverless",
    ),
]


@pytest.mark.parametrize(("uri", "declared", "kind"), URI_CASES)
def test_the_uri_and_the_declared_kind_decide_for_settings_and_driver_alike(
    monkeypatch, tmp_path, uri, declared, kind
):
    monkeypatch.setenv("DATALAKE_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("WAREHOUSE_URI", uri)
    if declared:
        monkeypatch.setenv("WAREHOUSE_KIND", declared)
    else:
        monkeypatch.delenv("WAREHOUSE_KIND", raising=False)
    settings = config.load_settings()
    assert settings.warehouse_kind == kind
    assert settings.warehouse_is_redshift == (kind != "postgres")
    assert settings.warehouse_is_serverless == (kind == "redshift-serverless")
    # the driver asks for TLS exactly when the settings choose Redshift's SQL
    assert (connect_kwargs(settings).get("sslmode") == "verify-full") == (kind != "postgres")


def test_an_unknown_declared_kind_is_a_clear_error():
    with pytest.raises(ConfigurationError, match="WAREHOUSE_KIND"):
        config.warehouse_kind("postgresql://x/y", "mysql")


def _conn(conn_type, host, extra=None):
    return SimpleNamespace(
        conn_id="redshift_default",
        conn_type=conn_type,
        host=host,
        port=5439,
        schema="epilot_datalake",
        login="etl",
        password="pw",
        extra_dejson=extra or {},
    )


CONNECTION_CASES = [
    # (conn_type, host, extra, kind)
    ("redshift", CLUSTER_HOST, {}, "redshift"),
    ("postgres", CLUSTER_HOST, {}, "redshift"),
    ("postgres", SERVERLESS_HOST, {}, "redshift-serverless"),
    ("redshift", SERVERLESS_HOST, {}, "redshift-serverless"),
    ("redshift", "warehouse.corp.example", {}, "redshift"),
    (
        "redshift",
        "warehouse.corp.example",
        {"is_serverless": True, "serverless_work_group": "wg"},
        "redshift-serverless",
    ),
    ("postgres", "warehouse.corp.example", {"warehouse_kind": "redshift"}, "redshift"),
    ("postgres", "db.internal.example", {}, "postgres"),
    ("redshift", "127.0.0.1", {"is_local_postgres": True}, "postgres"),
]


@pytest.mark.parametrize(("conn_type", "host", "extra", "kind"), CONNECTION_CASES)
def test_an_airflow_connection_is_the_same_kind_for_the_settings_and_the_driver(
    monkeypatch, tmp_path, conn_type, host, extra, kind
):
    monkeypatch.setenv("DATALAKE_STATE_DIR", str(tmp_path))
    for key in ("WAREHOUSE_URI", "WAREHOUSE_KIND"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv(
        "AIRFLOW_CONN_REDSHIFT_DEFAULT",
        json.dumps(
            {
                "conn_type": conn_type,
                "host": host,
                "port": 5439,
                "schema": "epilot_datalake",
                "login": "etl",
                "password": "pw",
                "extra": extra,
            }
        ),
    )
    settings = config.load_settings()
    conn = _conn(conn_type, host, extra)
    assert settings.warehouse_kind == kind
    assert redshift.is_redshift_connection(conn) == settings.warehouse_is_redshift
    driver_tls = (
        redshift.connection_kwargs(conn, None, "epilot_datalake").get("sslmode") == "verify-full"
    )
    assert driver_tls == settings.warehouse_is_redshift


def test_a_kind_from_the_connection_does_not_stick_to_a_uri_from_the_environment(
    monkeypatch, tmp_path
):
    monkeypatch.setenv("DATALAKE_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("WAREHOUSE_KIND", raising=False)
    monkeypatch.setenv(
        "AIRFLOW_CONN_REDSHIFT_DEFAULT",
        json.dumps(
            {"conn_type": "redshift", "host": SERVERLESS_HOST, "login": "etl", "password": "pw"}
        ),
    )
    monkeypatch.setenv("WAREHOUSE_URI", config.local_warehouse_uri())
    assert config.load_settings().warehouse_kind == "postgres"
