"""Where the platform's endpoints come from.

Resolution order, per setting:
1. an environment variable named like the ``datalake status`` key (``S3_ENDPOINT_URL``,
   ``LANDING_BUCKET``, ``LAKE_BUCKET``, ``WAREHOUSE_URI``, ``AIRFLOW_URL``);
2. inside an Airflow task: the ``aws_default`` (or ``DATALAKE_AWS_CONN_ID``) and
   ``redshift_default`` connections and the ``datalake_*`` variables (only looked up at run
   time, never while a DAG file parses); outside a task the same connections when they are
   given as ``AIRFLOW_CONN_*`` environment variables;
3. the state file written by ``make run`` (the ports it actually chose);
4. the local defaults below.

A real deployment changes connections (or the environment) only.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parents[2]

DEFAULT_S3_PORT = 5055
DEFAULT_WAREHOUSE_PORT = 5439
DEFAULT_AIRFLOW_PORT = 8080
# Local-only development credentials of the embedded PostgreSQL; never used elsewhere.
LOCAL_WAREHOUSE_USER = "datalake_admin"
LOCAL_WAREHOUSE_PASSWORD = "datalake-local-only"
WAREHOUSE_DATABASE = "epilot_datalake"
WAREHOUSE_SCHEMA = "epilot_datalake"

STATUS_KEYS = ("S3_ENDPOINT_URL", "LANDING_BUCKET", "LAKE_BUCKET", "WAREHOUSE_URI", "AIRFLOW_URL")

# What the warehouse is. One answer, from warehouse_kind(), for the settings, the driver (TLS,
# default port) and every choice of SQL: a Serverless workgroup or a cluster behind a custom
# DNS name reached with a postgresql:// URI is still Redshift when WAREHOUSE_KIND says so.
POSTGRES, REDSHIFT, REDSHIFT_SERVERLESS = "postgres", "redshift", "redshift-serverless"
WAREHOUSE_KINDS = (POSTGRES, REDSHIFT, REDSHIFT_SERVERLESS)
_SERVERLESS_HOSTS = (".redshift-serverless.amazonaws.com", ".redshift-serverless.amazonaws.com.cn")
_PROVISIONED_HOSTS = (".redshift.amazonaws.com", ".redshift.amazonaws.com.cn")


def warehouse_kind(uri: str, declared: str | None = None) -> str:
    """postgres, redshift or redshift-serverless: the declared kind (WAREHOUSE_KIND, or what the
    Airflow connection says) when there is one, else the URI's scheme (redshift://) and host
    (AWS's Redshift endpoint names); anything else is PostgreSQL."""
    if declared:
        kind = declared.strip().lower()
        if kind not in WAREHOUSE_KINDS:
            from datalake.errors import ConfigurationError

            raise ConfigurationError(
                f"WAREHOUSE_KIND={declared!r}: use one of {', '.join(WAREHOUSE_KINDS)}"
            )
        return kind
    parts = urlsplit(uri)
    host = (parts.hostname or "").lower()
    if host.endswith(_SERVERLESS_HOSTS):
        return REDSHIFT_SERVERLESS
    if parts.scheme.startswith("redshift") or host.endswith(_PROVISIONED_HOSTS):
        return REDSHIFT
    return POSTGRES


def state_dir() -> Path:
    """Folder for the local platform's data, pids and logs (ignored by git)."""
    return Path(os.environ.get("DATALAKE_STATE_DIR", PROJECT_ROOT / ".local")).resolve()


def state_file() -> Path:
    return state_dir() / "platform.json"


def read_state() -> dict:
    path = state_file()
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        return {}


def local_warehouse_uri(port: int = DEFAULT_WAREHOUSE_PORT) -> str:
    return (
        f"postgresql://{LOCAL_WAREHOUSE_USER}:{LOCAL_WAREHOUSE_PASSWORD}"
        f"@127.0.0.1:{port}/{WAREHOUSE_DATABASE}"
    )


DEFAULTS = {
    "S3_ENDPOINT_URL": f"http://127.0.0.1:{DEFAULT_S3_PORT}",
    "LANDING_BUCKET": "datalake-landing",
    "LAKE_BUCKET": "datalake-lake",
    "WAREHOUSE_URI": local_warehouse_uri(),
    "AIRFLOW_URL": f"http://127.0.0.1:{DEFAULT_AIRFLOW_PORT}",
}


@dataclass(frozen=True)
class Settings:
    s3_endpoint_url: str | None
    landing_bucket: str
    lake_bucket: str
    warehouse_uri: str
    airflow_url: str
    aws_region: str = "eu-central-1"
    # IAM role Redshift assumes for COPY from the lake; only used when the warehouse is Redshift.
    redshift_iam_role: str | None = None
    # The Airflow connection the S3 clients are built from (datalake/aws.py); None: no
    # connection defined, boto3's own credential chain.
    aws_conn_id: str | None = None
    # The Airflow connection WAREHOUSE_URI came from: connect() reads it like RedshiftSQLHook
    # (password or IAM, a fresh temporary password per connection); None: the URI as given.
    warehouse_conn_id: str | None = None
    # WAREHOUSE_KIND (or the Airflow connection's type and extra); None: read from the URI.
    declared_warehouse_kind: str | None = None
    sources: dict = field(default_factory=dict, compare=False)

    @property
    def warehouse_kind(self) -> str:
        return warehouse_kind(self.warehouse_uri, self.declared_warehouse_kind)

    @property
    def warehouse_is_redshift(self) -> bool:
        return self.warehouse_kind != POSTGRES

    @property
    def warehouse_is_serverless(self) -> bool:
        return self.warehouse_kind == REDSHIFT_SERVERLESS

    def status_lines(self) -> list[str]:
        values = {
            "S3_ENDPOINT_URL": self.s3_endpoint_url or "",
            "LANDING_BUCKET": self.landing_bucket,
            "LAKE_BUCKET": self.lake_bucket,
            # The local stand-in's dev password is printed so scripts can connect; a remote
            # warehouse's password never is.
            "WAREHOUSE_URI": self.warehouse_uri
            if _is_loopback(self.warehouse_uri)
            else redact_uri(self.warehouse_uri),
            "AIRFLOW_URL": self.airflow_url,
        }
        return [f"{k}={v}" for k, v in values.items()]


def _is_loopback(uri: str) -> bool:
    return (urlsplit(uri).hostname or "") in ("127.0.0.1", "localhost", "::1")


def redact_uri(uri: str) -> str:
    parts = urlsplit(uri)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return uri


def _from_airflow(in_task: bool = True) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Connections and variables from Airflow.

    In a task (never at parse time) the connections come from Airflow; outside one only from
    AIRFLOW_CONN_* environment variables (datalake/aws.py). Returns the settings found and the
    connections that do not exist, each with the environment variable that can stand in for it.
    """
    from datalake.aws import aws_conn_id, aws_connection_settings, get_connection

    found: dict[str, str] = {}
    missing: list[str] = []
    conn_id = aws_conn_id(in_task)
    aws = get_connection(conn_id, in_task)
    if aws is None:
        missing.append((conn_id, "S3_ENDPOINT_URL"))
    else:
        found["AWS_CONN_ID"] = conn_id
        # No endpoint_url means real S3 (the connection's credentials, or AWS's chain).
        found.update(aws_connection_settings(aws))
    warehouse = get_connection("redshift_default", in_task)
    if warehouse is None:
        missing.append(("redshift_default", "WAREHOUSE_URI"))
    else:
        found["WAREHOUSE_URI"] = _connection_uri(warehouse)
        found["WAREHOUSE_KIND"] = connection_warehouse_kind(warehouse)
        role = (warehouse.extra_dejson or {}).get("iam_role")
        if role:
            found["REDSHIFT_IAM_ROLE"] = role
    if not in_task:
        return found, missing
    from airflow.sdk import Variable

    for key, var in (
        ("LANDING_BUCKET", "datalake_landing_bucket"),
        ("LAKE_BUCKET", "datalake_lake_bucket"),
    ):
        try:
            value = Variable.get(var, default=None)
        except Exception:
            value = None
        if value:
            found[key] = value
    return found, missing


def connection_warehouse_kind(conn) -> str:
    """The kind of warehouse an Airflow connection reaches (the driver asks the same question,
    datalake.redshift.is_redshift_connection): the extra's ``warehouse_kind``, else
    ``is_local_postgres`` (a redshift-type connection to the local stand-in), ``is_serverless``,
    the connection type, then the host as in warehouse_kind()."""
    extra = conn.extra_dejson or {}
    if extra.get("warehouse_kind"):
        return warehouse_kind("", extra["warehouse_kind"])
    if extra.get("is_local_postgres"):
        return POSTGRES
    if extra.get("is_serverless"):
        return REDSHIFT_SERVERLESS
    scheme = "redshift" if conn.conn_type == "redshift" else "postgresql"
    return warehouse_kind(f"{scheme}://{conn.host or ''}")


def _connection_uri(conn) -> str:
    from urllib.parse import quote

    scheme = "postgresql" if connection_warehouse_kind(conn) == POSTGRES else "redshift"
    extra = conn.extra_dejson or {}
    auth = ""
    user = conn.login or extra.get("db_user")  # IAM connections may name the user in the extra
    if user:
        auth = quote(user, safe="")
        if conn.password:
            auth += ":" + quote(conn.password, safe="")
        auth += "@"
    port = f":{conn.port}" if conn.port else ""
    return f"{scheme}://{auth}{conn.host}{port}/{conn.schema or WAREHOUSE_DATABASE}"


def _from_state() -> dict[str, str]:
    state = read_state()
    # REDSHIFT_IAM_ROLE too: `make run WAREHOUSE=redshift` names the role its double's COPY takes.
    keys = (*STATUS_KEYS, "REDSHIFT_IAM_ROLE")
    return {k: v for k, v in state.get("endpoints", {}).items() if k in keys and v}


def load_settings(use_airflow: bool = False) -> Settings:
    """Resolve the settings; tasks pass use_airflow=True to consult connections and variables."""
    keys = (*STATUS_KEYS, "REDSHIFT_IAM_ROLE", "WAREHOUSE_KIND")
    env = {k: os.environ[k] for k in keys if os.environ.get(k)}
    airflow: dict[str, str] = {}
    if use_airflow:
        airflow, missing = _from_airflow(in_task=True)
        for conn_id, env_key in missing:
            if env_key not in env:
                from datalake.errors import ConfigurationError

                raise ConfigurationError(
                    f"Airflow connection {conn_id!r} is not defined and {env_key} is not set: "
                    f"add the connection (see airflow_settings.yaml) or export {env_key}"
                )
    elif any(k.startswith("AIRFLOW_CONN_") for k in os.environ):
        airflow, _ = _from_airflow(in_task=False)
    layers = [DEFAULTS, _from_state(), airflow, env]
    merged: dict[str, str] = {}
    sources: dict[str, str] = {}
    for name, layer in zip(("default", "state", "airflow", "env"), layers, strict=False):
        if "WAREHOUSE_URI" in layer and "WAREHOUSE_KIND" not in layer:
            merged.pop("WAREHOUSE_KIND", None)  # a kind describes the URI of its own layer
        for key, value in layer.items():
            merged[key] = value
            sources[key] = name
    return Settings(
        s3_endpoint_url=merged["S3_ENDPOINT_URL"] or None,
        landing_bucket=merged["LANDING_BUCKET"],
        lake_bucket=merged["LAKE_BUCKET"],
        warehouse_uri=merged["WAREHOUSE_URI"],
        airflow_url=merged["AIRFLOW_URL"],
        aws_region=merged.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION", "eu-central-1"),
        redshift_iam_role=merged.get("REDSHIFT_IAM_ROLE"),
        aws_conn_id=merged.get("AWS_CONN_ID"),
        warehouse_conn_id="redshift_default" if sources.get("WAREHOUSE_URI") == "airflow" else None,
        declared_warehouse_kind=merged.get("WAREHOUSE_KIND"),
        sources=sources,
    )
