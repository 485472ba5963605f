"""S3 through the amazon provider's hooks on the aws_default connection, against a moto server
that enforces IAM (its own server, not the session's): moto checks every request's signature
against the access keys created in it, and the identity's policies against the action.

* a key created in moto on aws_default makes a real DAG run (dag.test) succeed;
* a wrong key fails the first S3 call with one line naming the connection, and the run fails;
* a role_arn on the connection is assumed through moto's STS and the role's temporary
  credentials are the ones S3 sees (the user itself may not touch S3 at all).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import boto3
import pytest
import requests
from dagrun import run_hourly

from datalake.warehouse import connect
from datalake_dev.producer import ProducerConfig, simulate, upload

pytestmark = pytest.mark.integration

HOUR = datetime(2026, 11, 3, 7, tzinfo=timezone.utc)
REGION = "eu-central-1"
LANDING, LAKE = "iam-landing", "iam-lake"
S3_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}
ASSUME_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
}


@pytest.fixture(scope="module")
def iam_moto(session_tmp):
    """A separate moto server; IAM users, keys, a role and the buckets are created while it
    still lets anonymous requests through, then authentication is enforced for every request
    (moto's /moto-api/reset-auth with 0 initial unauthenticated actions)."""
    from datalake_dev.local.ports import free_port, wait_for_port
    from datalake_dev.local.processes import spawn, stop_group

    port = free_port()
    pid = spawn(
        "moto-iam",
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        session_tmp / "logs",
    )
    wait_for_port(port, name="moto (IAM enforced)", timeout=60)
    url = f"http://127.0.0.1:{port}"
    setup = dict(
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="setup",
        aws_secret_access_key="setup",
    )
    iam = boto3.client("iam", **setup)
    keys = {}
    for user, policy in (("pipeline", S3_ALL), ("assumer", ASSUME_ONLY)):
        iam.create_user(UserName=user)
        iam.put_user_policy(
            UserName=user, PolicyName=f"{user}-policy", PolicyDocument=json.dumps(policy)
        )
        keys[user] = iam.create_access_key(UserName=user)["AccessKey"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"AWS": "arn:aws:iam::123456789012:user/assumer"},
            }
        ],
    }
    role = iam.create_role(
        RoleName="datalake-pipeline", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]
    iam.put_role_policy(
        RoleName="datalake-pipeline", PolicyName="s3", PolicyDocument=json.dumps(S3_ALL)
    )
    s3 = boto3.client("s3", **setup)
    for bucket in (LANDING, LAKE):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    enforced = requests.post(f"{url}/moto-api/reset-auth", data=b"0", timeout=10)
    assert enforced.status_code == 200
    with pytest.raises(Exception, match="InvalidAccessKeyId"):
        s3.list_objects_v2(Bucket=LANDING)  # the setup key is unknown to moto: IAM is enforced
    yield url, keys, role["Arn"]
    stop_group(pid)


def _connection(url, key, *, role_arn=None):
    extra = {"endpoint_url": url, "region_name": REGION}
    if role_arn:
        # The provider never sends assume-role to the global endpoint_url; STS gets its own.
        extra.update(role_arn=role_arn, service_config={"sts": {"endpoint_url": url}})
    return json.dumps(
        {
            "conn_type": "aws",
            "login": key["AccessKeyId"],
            "password": key["SecretAccessKey"],
            "extra": extra,
        }
    )


@pytest.fixture
def on_iam_moto(iam_moto, clean_platform, monkeypatch):
    """S3 settings come from aws_default only (no S3_ENDPOINT_URL env); the env AWS keys of
    the test session are valid for nothing in this moto."""
    url, keys, role_arn = iam_moto
    monkeypatch.delenv("S3_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("DATALAKE_AWS_CONN_ID", raising=False)
    monkeypatch.setenv("LANDING_BUCKET", LANDING)
    monkeypatch.setenv("LAKE_BUCKET", LAKE)
    return url, keys, role_arn


def _settings():
    from datalake.config import load_settings

    return load_settings(use_airflow=True)


def test_a_key_on_aws_default_runs_the_hourly_dag(on_iam_moto, airflow_db, monkeypatch):
    from datalake.s3 import iter_keys, s3_client

    url, keys, _ = on_iam_moto
    monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", _connection(url, keys["pipeline"]))
    settings = _settings()
    assert settings.aws_conn_id == "aws_default" and settings.s3_endpoint_url == url
    client = s3_client(settings)
    assert client._request_signer._credentials.access_key == keys["pipeline"]["AccessKeyId"]
    upload(simulate(HOUR, 1, ProducerConfig(seed=5)), client, LANDING)

    run = run_hourly("entity_operations_hourly", HOUR)
    assert run.state == "success"
    lake = [k for k, _ in iter_keys(client, LAKE, "entity_operations/")]
    assert lake, "the run wrote nothing to the lake bucket of the IAM-enforcing server"
    with connect(settings) as conn:
        assert (
            conn.execute("SELECT count(*) FROM epilot_datalake.entity_operations").fetchone()[0] > 0
        )


def test_a_wrong_key_fails_the_first_s3_call_naming_the_connection(
    on_iam_moto, airflow_db, monkeypatch
):
    from datalake.errors import ConfigurationError
    from datalake.s3 import require_bucket, s3_client

    url, keys, _ = on_iam_moto
    wrong = {**keys["pipeline"], "SecretAccessKey": "not-the-secret"}
    monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", _connection(url, wrong))
    with pytest.raises(ConfigurationError) as info:
        require_bucket(s3_client(_settings()), LANDING, "landing")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"S3 refused HeadBucket on bucket {LANDING!r} (403 Forbidden")
    assert "the credentials of Airflow connection 'aws_default'" in message
    # A call with a response body names moto's reason.
    with pytest.raises(
        ConfigurationError,
        match="ListObjectsV2 on bucket 'iam-landing' \\(SignatureDoesNotMatch\\)",
    ):
        s3_client(_settings()).list_objects_v2(Bucket=LANDING)

    started = time.monotonic()
    run = run_hourly("entity_operations_hourly", HOUR)
    assert run.state == "failed"
    # AirflowFailException: no retries (3 retries with minutes of delay otherwise).
    assert time.monotonic() - started < 120

    # The datalake command outside Airflow reads the same env connection and says the same.
    cli = subprocess.run(
        [str(Path(sys.executable).parent / "datalake"), "produce", "--hours", "1"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )
    assert cli.returncode == 2
    lines = cli.stderr.strip().splitlines()
    assert len(lines) == 1 and "the credentials of Airflow connection 'aws_default'" in lines[0], (
        cli.stderr
    )


def test_the_connection_id_is_configurable(on_iam_moto, monkeypatch):
    from datalake.s3 import s3_client

    url, keys, _ = on_iam_moto
    monkeypatch.setenv(
        "AIRFLOW_CONN_AWS_DEFAULT", _connection(url, {**keys["pipeline"], "SecretAccessKey": "x"})
    )
    monkeypatch.setenv("AIRFLOW_CONN_LAKE_WRITER", _connection(url, keys["pipeline"]))
    monkeypatch.setenv("DATALAKE_AWS_CONN_ID", "lake_writer")
    settings = _settings()
    assert settings.aws_conn_id == "lake_writer"
    s3_client(settings).head_bucket(Bucket=LANDING)


def test_role_arn_is_assumed_through_sts_and_its_credentials_are_used(on_iam_moto, monkeypatch):
    from datalake.errors import ConfigurationError
    from datalake.s3 import s3_client

    url, keys, role_arn = on_iam_moto
    assumer = keys["assumer"]
    # Without the role the user may not use S3 at all (its only permission is sts:AssumeRole).
    monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", _connection(url, assumer))
    with pytest.raises(ConfigurationError, match="AccessDenied"):
        s3_client(_settings()).put_object(Bucket=LANDING, Key="probe/without-role", Body=b"x")

    monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", _connection(url, assumer, role_arn=role_arn))
    client = s3_client(_settings())
    client.put_object(Bucket=LANDING, Key="probe/with-role", Body=b"x")
    used = client._request_signer._credentials.get_frozen_credentials()
    assert used.access_key != assumer["AccessKeyId"] and used.token, (
        "not the role's temporary credentials"
    )
    identity = boto3.client(
        "sts",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=used.access_key,
        aws_secret_access_key=used.secret_key,
        aws_session_token=used.token,
    ).get_caller_identity()
    assert identity["Arn"].startswith("arn:aws:sts::123456789012:assumed-role/datalake-pipeline/")
    client.delete_object(Bucket=LANDING, Key="probe/with-role")
