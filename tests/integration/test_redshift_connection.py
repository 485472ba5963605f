"""redshift_default read the way RedshiftSQLHook reads it; the IAM credential call goes to
moto's Redshift API (the session's moto server) through the provider's AwsBaseHook on
aws_default, and the psycopg connection arguments are built from what it returns. The login
itself needs a real cluster and is not proven here."""

from __future__ import annotations

import json

import boto3
import pytest

pytestmark = pytest.mark.integration

REGION = "eu-central-1"


@pytest.fixture
def moto_cluster(s3_server, platform, monkeypatch):
    client = boto3.client("redshift", endpoint_url=s3_server, region_name=REGION)
    try:
        client.create_cluster(
            ClusterIdentifier="lake-cluster",
            NodeType="ra3.xlplus",
            MasterUsername="admin",
            MasterUserPassword="Admin-pass-1",
            DBName="epilot_datalake",
        )
    except client.exceptions.ClusterAlreadyExistsFault:
        pass
    endpoint = client.describe_clusters(ClusterIdentifier="lake-cluster")["Clusters"][0]["Endpoint"]
    monkeypatch.setenv(
        "AIRFLOW_CONN_AWS_DEFAULT",
        json.dumps(
            {
                "conn_type": "aws",
                "login": "test",
                "password": "test",
                "extra": {"endpoint_url": s3_server, "region_name": REGION},
            }
        ),
    )
    monkeypatch.delenv("WAREHOUSE_URI", raising=False)
    return endpoint


def _redshift_default(monkeypatch, **fields):
    monkeypatch.setenv(
        "AIRFLOW_CONN_REDSHIFT_DEFAULT", json.dumps({"conn_type": "redshift", **fields})
    )
    from datalake.config import load_settings

    return load_settings()


def test_iam_connection_gets_its_password_from_get_cluster_credentials(moto_cluster, monkeypatch):
    from datalake.warehouse import connect_kwargs

    settings = _redshift_default(
        monkeypatch,
        host=moto_cluster["Address"],
        port=moto_cluster["Port"],
        schema="epilot_datalake",
        login="etl_user",
        extra={"iam": True, "cluster_identifier": "lake-cluster"},
    )
    assert settings.warehouse_conn_id == "redshift_default" and settings.warehouse_is_redshift
    assert "etl_user@" in settings.warehouse_uri
    first, second = connect_kwargs(settings), connect_kwargs(settings)
    # moto answers DbUser "IAM:<user>" (AutoCreate false) and a fresh random 32-character password.
    assert first["user"] == "IAM:etl_user"
    assert len(first["password"]) == 32 and first["password"] != second["password"]
    assert first["host"] == moto_cluster["Address"] and first["port"] == moto_cluster["Port"]
    assert first["dbname"] == "epilot_datalake"
    assert (first["sslmode"], first["sslrootcert"]) == ("verify-full", "system")
    assert first["client_encoding"] == "UTF8" and first["prepare_threshold"] is None


def test_iam_cluster_identifier_from_the_host_and_db_user_from_the_extra(moto_cluster, monkeypatch):
    from datalake.warehouse import connect_kwargs

    settings = _redshift_default(
        monkeypatch,
        host=moto_cluster["Address"],
        schema="epilot_datalake",
        extra={
            "iam": True,
            "db_user": "bi_loader",
            "auto_create": True,
            "region": REGION,
            "sslmode": "verify-full",
        },
    )
    kwargs = connect_kwargs(settings)
    assert kwargs["user"] == "IAMA:bi_loader"  # AutoCreate true: moto's IAMA: prefix
    assert kwargs["port"] == 5439 and kwargs["sslmode"] == "verify-full"
    assert kwargs["sslrootcert"] == "system"


def test_iam_unknown_cluster_is_moto_s_answer(moto_cluster, monkeypatch):
    from botocore.exceptions import ClientError

    from datalake.warehouse import connect_kwargs

    settings = _redshift_default(
        monkeypatch,
        host="no-such-cluster.abc.eu-central-1.redshift.amazonaws.com",
        schema="epilot_datalake",
        login="etl_user",
        extra={"iam": True},
    )
    with pytest.raises(ClientError, match="ClusterNotFound"):
        connect_kwargs(settings)


def test_password_login_requires_ssl_for_redshift(platform, monkeypatch):
    from datalake.warehouse import connect_kwargs

    monkeypatch.delenv("WAREHOUSE_URI", raising=False)
    settings = _redshift_default(
        monkeypatch,
        host="c.abc.eu-central-1.redshift.amazonaws.com",
        port=5439,
        schema="epilot_datalake",
        login="etl_user",
        password="pw",
    )
    kwargs = connect_kwargs(settings)
    assert (kwargs["user"], kwargs["password"]) == ("etl_user", "pw")
    assert (kwargs["sslmode"], kwargs["sslrootcert"]) == ("verify-full", "system")
    # WAREHOUSE_URI in the environment still wins, and a redshift:// URI gets SSL too.
    monkeypatch.setenv(
        "WAREHOUSE_URI", "redshift://u:p@c.abc.eu-central-1.redshift.amazonaws.com/epilot_datalake"
    )
    from datalake.config import load_settings

    kwargs = connect_kwargs(load_settings())
    assert kwargs["conninfo"].startswith("postgresql://u:p@c.abc")
    assert (kwargs["sslmode"], kwargs["sslrootcert"]) == ("verify-full", "system")
