"""The warehouse connection the way the amazon provider's RedshiftSQLHook reads
``redshift_default``, executed with psycopg 3 (see docs/design.md, "Warehouse driver").

* password login: login / password / host / port / schema (the database);
* IAM: extra ``iam: true`` with ``cluster_identifier`` (or the cluster's host name), or
  ``is_serverless: true`` with ``serverless_work_group``; the database user is the login or
  the extra ``db_user``; extra ``region`` and ``profile`` choose the AWS side; otherwise
  the AWS credentials are those of the aws connection (``aws_default``). The temporary
  password comes from GetClusterCredentials / Redshift Serverless GetCredentials through
  the provider's AwsBaseHook, fresh for every connection;
* TLS: for Redshift ``sslmode=verify-full`` with ``sslrootcert=system`` (the certificate
  chain checked against the operating system's CA store, which holds the roots Redshift's
  certificates chain to, and the host name checked against the certificate), as the
  provider's redshift_connector verifies by default; the extra's (or URI's) ``sslmode`` and
  ``sslrootcert`` override it. libpq 16 added ``sslrootcert=system``; psycopg-binary bundles
  libpq 18. libpq refuses ``system`` with a weaker mode, so it is only added to verify-*.

psycopg 3 talks to Redshift with two settings (psycopg/psycopg#122): Redshift has no
DEALLOCATE ALL (psycopg resets its statement cache with it after a rollback), so prepared
statements stay off (``prepare_threshold=None``), and the session is asked for UTF8.
(Redshift reports its client encoding as ``UNICODE``, which the pinned psycopg maps to utf-8
itself.)
These driver settings are used for every warehouse, the local PostgreSQL included, so the
local path runs exactly what Redshift gets (the Redshift double in dev/ proves it through a
proxy with Redshift's wire quirks).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

DEFAULT_REDSHIFT_PORT = 5439
DRIVER_OPTIONS = {"client_encoding": "UTF8", "prepare_threshold": None}


def _extra(conn) -> dict:
    return conn.extra_dejson or {}


def is_redshift_connection(conn) -> bool:
    """The settings' own answer (datalake.config.connection_warehouse_kind), so that the driver
    and the SQL chosen never disagree about what the connection reaches."""
    from datalake.config import POSTGRES, connection_warehouse_kind

    return connection_warehouse_kind(conn) != POSTGRES


def _aws_client(service: str, extra: dict, aws_conn_id: str | None):
    """A boto3 client for the credential call, from the provider's AwsBaseHook (or the extra's
    profile)."""
    region = extra.get("region")
    if extra.get("profile"):
        import boto3

        return boto3.session.Session(profile_name=extra["profile"], region_name=region).client(
            service
        )
    from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

    return AwsBaseHook(aws_conn_id=aws_conn_id, client_type=service, region_name=region).get_conn()


def iam_credentials(conn, aws_conn_id: str | None) -> tuple[str, str]:
    """(user, temporary password) for an ``iam: true`` connection, as
    RedshiftSQLHook.get_iam_token."""
    extra = _extra(conn)
    db_user = conn.login or extra.get("db_user")
    database = conn.schema or extra.get("database")
    if extra.get("is_serverless"):
        workgroup = extra.get("serverless_work_group")
        if not workgroup:
            raise ValueError(
                f"connection {conn.conn_id!r}: is_serverless needs serverless_work_group "
                "in the extra"
            )
        creds = _aws_client("redshift-serverless", extra, aws_conn_id).get_credentials(
            dbName=database,
            workgroupName=workgroup,
            durationSeconds=int(extra.get("serverless_token_duration_seconds", 3600)),
        )
        return creds["dbUser"], creds["dbPassword"]
    cluster = extra.get("cluster_identifier") or (conn.host or "").split(".", 1)[0]
    if not cluster:
        raise ValueError(
            f"connection {conn.conn_id!r}: iam needs cluster_identifier in the extra or the "
            "cluster's host"
        )
    if not db_user:
        raise ValueError(
            f"connection {conn.conn_id!r}: iam needs the database user (login or extra db_user)"
        )
    creds = _aws_client("redshift", extra, aws_conn_id).get_cluster_credentials(
        DbUser=db_user,
        DbName=database,
        ClusterIdentifier=cluster,
        AutoCreate=bool(extra.get("auto_create", False)),
        DurationSeconds=int(extra.get("token_duration_seconds", 900)),
    )
    return creds["DbUser"], creds["DbPassword"]


def connection_kwargs(conn, aws_conn_id: str | None, default_database: str) -> dict:
    """psycopg.connect keyword arguments for an Airflow connection (password or IAM)."""
    extra = _extra(conn)
    if extra.get("iam"):
        user, password = iam_credentials(conn, aws_conn_id)
    else:
        user, password = conn.login or extra.get("db_user"), conn.password
    redshift = is_redshift_connection(conn)
    kwargs = {
        "host": conn.host,
        "port": conn.port or (DEFAULT_REDSHIFT_PORT if redshift else 5432),
        "dbname": conn.schema or extra.get("database") or default_database,
        "user": user,
        "password": password,
    }
    if redshift:
        kwargs.update(tls_params(extra.get("sslmode"), extra.get("sslrootcert")))
    elif extra.get("sslmode"):
        kwargs["sslmode"] = extra["sslmode"]
    return {k: v for k, v in kwargs.items() if v is not None}


def tls_params(sslmode: str | None = None, sslrootcert: str | None = None) -> dict:
    """libpq TLS parameters for Redshift: verify-full against the system CA store unless the
    connection names its own mode or root certificate."""
    sslmode = sslmode or "verify-full"
    params = {"sslmode": sslmode}
    if sslrootcert:
        params["sslrootcert"] = sslrootcert
    elif sslmode in ("verify-full", "verify-ca"):
        params["sslrootcert"] = "system"
    return params


def uri_sslmode(uri: str, is_redshift: bool) -> dict:
    """The Redshift TLS parameters (tls_params) a Redshift URI does not set itself."""
    given = dict(parse_qsl(urlsplit(uri).query))
    if not is_redshift:
        return {}
    params = tls_params(given.get("sslmode"), given.get("sslrootcert"))
    return {k: v for k, v in params.items() if k not in given}
