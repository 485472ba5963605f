"""Settings resolution: environment beats the state file, which beats the defaults."""

import json

from datalake import config


def test_defaults_without_state_or_env(monkeypatch, tmp_path):
    monkeypatch.setenv("DATALAKE_STATE_DIR", str(tmp_path))
    for key in config.STATUS_KEYS:
        monkeypatch.delenv(key, raising=False)
    settings = config.load_settings()
    assert settings.s3_endpoint_url == config.DEFAULTS["S3_ENDPOINT_URL"]
    assert settings.sources["WAREHOUSE_URI"] == "default"


def test_state_file_then_environment_override(monkeypatch, tmp_path):
    monkeypatch.setenv("DATALAKE_STATE_DIR", str(tmp_path))
    for key in config.STATUS_KEYS:
        monkeypatch.delenv(key, raising=False)
    (tmp_path / "platform.json").write_text(
        json.dumps({"endpoints": {"S3_ENDPOINT_URL": "http://127.0.0.1:6000"}})
    )
    assert config.load_settings().s3_endpoint_url == "http://127.0.0.1:6000"
    monkeypatch.setenv("S3_ENDPOINT_URL", "http://127.0.0.1:7000")
    monkeypatch.setenv("LAKE_BUCKET", "other-lake")
    settings = config.load_settings()
    assert settings.s3_endpoint_url == "http://127.0.0.1:7000"
    assert settings.lake_bucket == "other-lake"
    assert settings.sources["S3_ENDPOINT_URL"] == "env"


def test_status_lines_have_the_spec_keys_and_hide_remote_passwords(monkeypatch, tmp_path):
    monkeypatch.setenv("DATALAKE_STATE_DIR", str(tmp_path))
    monkeypatch.setenv(
        "WAREHOUSE_URI",
        "redshift://admin:s3cret@cluster.abc.eu-central-1.redshift.amazonaws.com:5439/epilot_datalake",
    )
    settings = config.load_settings()
    lines = dict(line.split("=", 1) for line in settings.status_lines())
    assert set(config.STATUS_KEYS) <= set(lines)
    assert "s3cret" not in lines["WAREHOUSE_URI"]
    assert settings.warehouse_is_redshift


def test_local_warehouse_is_not_redshift():
    assert not config.Settings(
        None, "l", "k", config.local_warehouse_uri(), "http://x"
    ).warehouse_is_redshift


def test_s3_endpoint_env_wins_over_the_connection_and_the_key_comes_from_the_connection(
    monkeypatch, tmp_path
):
    monkeypatch.setenv("DATALAKE_STATE_DIR", str(tmp_path))
    monkeypatch.setenv(
        "AIRFLOW_CONN_AWS_DEFAULT",
        json.dumps(
            {
                "conn_type": "aws",
                "login": "AKIACONNECTIONKEY",
                "password": "connection-secret",
                "extra": {
                    "endpoint_url": "http://127.0.0.1:6001",
                    "region_name": "eu-west-1",
                    "config_kwargs": {"connect_timeout": 7},
                },
            }
        ),
    )
    monkeypatch.delenv("S3_ENDPOINT_URL", raising=False)
    from datalake.s3 import s3_client

    settings = config.load_settings()
    assert (settings.s3_endpoint_url, settings.aws_region, settings.aws_conn_id) == (
        "http://127.0.0.1:6001",
        "eu-west-1",
        "aws_default",
    )
    monkeypatch.setenv("S3_ENDPOINT_URL", "http://127.0.0.1:7001")
    settings = config.load_settings()
    client = s3_client(settings)
    assert client.meta.endpoint_url == "http://127.0.0.1:7001"
    assert client._request_signer._credentials.access_key == "AKIACONNECTIONKEY"
    assert client.meta.config.connect_timeout == 7  # the connection's botocore config applies
    assert client.meta.config.retries["mode"] == "standard"  # our default where it says nothing


def test_aws_connection_id_from_env_then_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("DATALAKE_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("S3_ENDPOINT_URL", "http://127.0.0.1:7001")
    monkeypatch.setenv("WAREHOUSE_URI", "postgresql://u:p@127.0.0.1:1/epilot_datalake")
    monkeypatch.setenv(
        "AIRFLOW_CONN_LAKE_WRITER",
        json.dumps({"conn_type": "aws", "extra": {"region_name": "us-east-2"}}),
    )
    monkeypatch.setenv("AIRFLOW_VAR_DATALAKE_AWS_CONN_ID", "lake_writer")
    monkeypatch.delenv("DATALAKE_AWS_CONN_ID", raising=False)
    settings = config.load_settings(use_airflow=True)
    assert (settings.aws_conn_id, settings.aws_region) == ("lake_writer", "us-east-2")
    monkeypatch.setenv("DATALAKE_AWS_CONN_ID", "not_defined_anywhere")
    assert (
        config.load_settings(use_airflow=True).aws_conn_id is None
    )  # env endpoint stands in for it
