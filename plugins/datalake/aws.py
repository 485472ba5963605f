"""AWS clients through the amazon provider's hooks, on a configurable Airflow connection.

Inside a task every S3 client is built from ``S3Hook`` on the connection named by
``DATALAKE_AWS_CONN_ID`` (env), else the Airflow Variable ``datalake_aws_conn_id``, else
``aws_default``; so whatever an Airflow user sets on that connection applies: keys (login /
password), session token, ``role_arn`` with its assume-role options (the STS endpoint comes
from the extra's ``service_config.sts.endpoint_url``), ``region_name``, ``endpoint_url`` (or
``service_config.s3.endpoint_url``), ``verify`` and ``config_kwargs`` (botocore config).

Outside Airflow (the ``datalake`` command, the bench) the same resolver runs, reading the
connection only when it is given as an environment variable (``AIRFLOW_CONN_AWS_DEFAULT``,
JSON or URI; no metadata database is touched); without one the session is boto3's own
credential chain, which is what ``AwsBaseHook`` does with no connection too.

``S3_ENDPOINT_URL`` in the environment still wins over the connection's endpoint.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from datalake.errors import ConfigurationError

DEFAULT_AWS_CONN_ID = "aws_default"
AWS_CONN_ID_ENV = "DATALAKE_AWS_CONN_ID"
AWS_CONN_ID_VARIABLE = "datalake_aws_conn_id"

# S3 answers these when the credentials themselves are refused (not a missing object).
CREDENTIAL_ERRORS = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "TokenRefreshRequired",
    "InvalidClientTokenId",
    "AccessDenied",
    "403",
    "Forbidden",
}


def aws_conn_id(in_task: bool) -> str:
    """The connection id the S3 clients use: env, then (in a task) the Variable, then
    aws_default."""
    name = os.environ.get(AWS_CONN_ID_ENV)
    if name:
        return name
    if in_task:
        from airflow.sdk import Variable

        try:
            name = Variable.get(AWS_CONN_ID_VARIABLE, default=None)
        except Exception:  # no Variable backend reachable: the default connection
            name = None
    return name or DEFAULT_AWS_CONN_ID


def connection_in_env(conn_id: str) -> bool:
    return bool(os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}"))


def get_connection(conn_id: str, in_task: bool):
    """The Airflow connection, or None when it is not defined.

    Outside a task only connections given as AIRFLOW_CONN_* environment variables are read
    (the CLI must not need Airflow's metadata database)."""
    if not in_task and not connection_in_env(conn_id):
        return None
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return None


def aws_connection_settings(conn) -> dict[str, str]:
    """What the settings resolver takes from an aws connection: S3 endpoint and region."""
    from airflow.providers.amazon.aws.utils.connection_wrapper import AwsConnectionWrapper

    wrapper = AwsConnectionWrapper(conn=conn)
    found = {"S3_ENDPOINT_URL": wrapper.get_service_endpoint_url("s3") or ""}
    if wrapper.region_name:
        found["AWS_REGION"] = wrapper.region_name
    return found


def _is_loopback(url: str | None) -> bool:
    return (urlsplit(url or "").hostname or "") in ("127.0.0.1", "localhost", "::1")


class S3CredentialError(ConfigurationError):
    """S3 refused the credentials of the configured connection (a retry cannot fix it)."""


def _credential_error(message: str) -> S3CredentialError:
    """In a task (Airflow already imported) the error is also an AirflowFailException: a retry
    cannot fix refused credentials. The CLI does not pay Airflow's import for it."""
    import sys

    if "airflow.sdk.exceptions" not in sys.modules:
        return S3CredentialError(message)
    from airflow.sdk.exceptions import AirflowFailException

    class TaskS3CredentialError(S3CredentialError, AirflowFailException):
        pass

    return TaskS3CredentialError(message)


def _remember_bucket(params, context, **_):
    context["datalake_bucket"] = params.get("Bucket")


def _credential_error_handler(source: str):
    """Turns S3's refusal of the credentials into one line that names where they came from."""

    def check(http_response, parsed, model, context=None, **_):
        if http_response.status_code not in (400, 401, 403):
            return
        code = str((parsed or {}).get("Error", {}).get("Code") or http_response.status_code)
        if code not in CREDENTIAL_ERRORS:
            return
        if code == "403":
            code = "403 Forbidden; a HEAD answer carries no error code"
        bucket = (context or {}).get("datalake_bucket")
        raise _credential_error(
            f"S3 refused {model.name}{f' on bucket {bucket!r}' if bucket else ''} ({code}) "
            f"with the credentials of {source}: check its key, secret, session token or role_arn, "
            "and that the identity may use the bucket"
        )

    return check


def s3_client(settings):
    """An S3 client for the settings' connection (see the module docstring)."""
    from botocore.config import Config

    defaults = Config(
        retries={"max_attempts": 5, "mode": "standard"},
        s3={"addressing_style": "path"} if settings.s3_endpoint_url else {},
    )
    if settings.aws_conn_id:
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        hook = S3Hook(aws_conn_id=settings.aws_conn_id, region_name=settings.aws_region)
        session = hook.get_session(region_name=settings.aws_region)
        # The connection's botocore config (extra config_kwargs) wins over our defaults.
        config = defaults.merge(hook.config)
        verify = hook.verify
        source = f"Airflow connection {settings.aws_conn_id!r}"
    else:
        import boto3

        session = boto3.session.Session(region_name=settings.aws_region)
        config, verify = defaults, None
        source = (
            "the default AWS credential chain (no Airflow connection; env AWS_ACCESS_KEY_ID, "
            "profile, instance role)"
        )
    kwargs = {}
    if session.get_credentials() is None and _is_loopback(settings.s3_endpoint_url):
        # The local moto server accepts any key; real AWS never gets here without credentials.
        kwargs = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
    client = session.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        region_name=settings.aws_region,
        config=config,
        verify=verify,
        **kwargs,
    )
    client.meta.events.register("before-parameter-build.s3", _remember_bucket)
    client.meta.events.register("after-call.s3", _credential_error_handler(source))
    return client
