"""The data the DAGs read and write, as Airflow Assets, declared once for every DAG.

Their URIs are the standard ones of the systems that hold the data, which the amazon
provider registers (``s3`` and ``redshift`` asset URIs) together with their OpenLineage
converters: ``s3://<bucket>/<prefix>/`` for the landing zone and the lake,
``redshift://<host>:<port>/<database>/<schema>/<table>`` for the warehouse tables. So the
OpenLineage provider reports each run's inputs (inlets) and outputs (outlets) as datasets
(namespace ``s3://<bucket>`` / ``redshift://<host>:<port>``, name the key prefix /
``database.schema.table``) without an extractor of its own.

The DAG processor runs this module on every parse, so it reads environment variables only,
never a connection or a Variable: the buckets from ``LANDING_BUCKET`` / ``LAKE_BUCKET`` or
the ``AIRFLOW_VAR_DATALAKE_*_BUCKET`` variables, the warehouse endpoint from ``WAREHOUSE_URI``
or an ``AIRFLOW_CONN_REDSHIFT_DEFAULT`` given in the environment (JSON or URI form), else the
defaults (the local platform's).

An asset's name is what it holds and where, e.g. ``entity_operations@<host>:5439``: Airflow
identifies an asset by its name as well as its URI and deactivates one whose name is taken by
an asset of another URI (its tasks then fail). Naming the location keeps a changed bucket or
endpoint a new asset instead of such a clash. DAGs schedule on the objects below, never on a
name typed out.
"""

from __future__ import annotations

import json
import os
from urllib.parse import urlsplit

from airflow.sdk import Asset

from datalake.config import DEFAULTS, WAREHOUSE_DATABASE, WAREHOUSE_SCHEMA
from datalake.redshift import DEFAULT_REDSHIFT_PORT

ENTITY_PREFIX = "entity_operations"
WORKFLOW_PREFIX = "workflow_executions"
WORKFLOW_TABLES = (
    "workflowexecution",
    "workflowphases",
    "workflowtasks",
    "workflowcancellations",
    "workflowcontexts",
)


def _bucket(setting: str, variable: str) -> str:
    return os.environ.get(setting) or os.environ.get(variable) or DEFAULTS[setting]


def warehouse_endpoint() -> str:
    """host:port of the warehouse as far as the environment tells; the local default else."""
    uri = os.environ.get("WAREHOUSE_URI")
    if not uri:
        conn = os.environ.get("AIRFLOW_CONN_REDSHIFT_DEFAULT", "")
        if conn.lstrip().startswith("{"):
            fields = json.loads(conn)
            if fields.get("host"):
                return f"{fields['host']}:{fields.get('port') or DEFAULT_REDSHIFT_PORT}"
        uri = conn
    parts = urlsplit(uri) if uri else None
    if parts and parts.hostname:
        return f"{parts.hostname}:{parts.port or DEFAULT_REDSHIFT_PORT}"
    return f"localhost:{DEFAULT_REDSHIFT_PORT}"


def s3_prefix_uri(bucket: str, prefix: str) -> str:
    return f"s3://{bucket}/{prefix}/"


def redshift_table_uri(table: str, endpoint: str | None = None) -> str:
    where = endpoint or warehouse_endpoint()
    return f"redshift://{where}/{WAREHOUSE_DATABASE}/{WAREHOUSE_SCHEMA}/{table}"


def lake_asset(what: str, bucket: str, prefix: str) -> Asset:
    """The S3 prefix ``s3://<bucket>/<prefix>/``, named ``<what>@<bucket>``."""
    return Asset(name=f"{what}@{bucket}", uri=s3_prefix_uri(bucket, prefix))


def table_asset(what: str, table: str) -> Asset:
    """A warehouse table, named ``<what>@<host>:<port>``."""
    endpoint = warehouse_endpoint()
    return Asset(name=f"{what}@{endpoint}", uri=redshift_table_uri(table, endpoint))


LANDING_BUCKET = _bucket("LANDING_BUCKET", "AIRFLOW_VAR_DATALAKE_LANDING_BUCKET")
LAKE_BUCKET = _bucket("LAKE_BUCKET", "AIRFLOW_VAR_DATALAKE_LAKE_BUCKET")

# Inputs: what Firehose delivers, one prefix per stream.
LANDING_ENTITY_OPERATIONS = lake_asset("landing_entity_operations", LANDING_BUCKET, ENTITY_PREFIX)
LANDING_WORKFLOW_EXECUTIONS = lake_asset(
    "landing_workflow_executions", LANDING_BUCKET, WORKFLOW_PREFIX
)
# Outputs: the lake's Parquet and the warehouse tables.
LAKE_ENTITY_OPERATIONS = lake_asset("lake_entity_operations", LAKE_BUCKET, ENTITY_PREFIX)
LAKE_WORKFLOW = lake_asset("lake_workflow", LAKE_BUCKET, "workflow")
QUARANTINE_ENTITY_OPERATIONS = lake_asset(
    "quarantine_entity_operations", LAKE_BUCKET, f"quarantine/{ENTITY_PREFIX}"
)
ENTITY_OPERATIONS = table_asset("entity_operations", "entity_operations")
CURRENT_ENTITIES = table_asset("current_entities", "current_entities")
# The five workflow tables change together (one transaction); DAGs that need "the workflow
# tables were loaded" schedule on the first, WORKFLOW_TABLES_ASSET.
WORKFLOW_TABLE_ASSETS = tuple(
    table_asset("workflow_tables" if i == 0 else table, table)
    for i, table in enumerate(WORKFLOW_TABLES)
)
WORKFLOW_TABLES_ASSET = WORKFLOW_TABLE_ASSETS[0]

# What each pipeline's load reads and writes (its task's inlets and outlets).
ENTITY_LOAD_INLETS = [LANDING_ENTITY_OPERATIONS]
ENTITY_LOAD_OUTLETS = [ENTITY_OPERATIONS, CURRENT_ENTITIES, LAKE_ENTITY_OPERATIONS]
WORKFLOW_LOAD_INLETS = [LANDING_WORKFLOW_EXECUTIONS]
WORKFLOW_LOAD_OUTLETS = [*WORKFLOW_TABLE_ASSETS, LAKE_WORKFLOW]
# The quarantine replay reloads fixed quarantined records like an hourly load.
REPLAY_INLETS = [QUARANTINE_ENTITY_OPERATIONS]
# The monthly snapshot reads the operations and writes their snapshot rows and lake file.
SNAPSHOT_INLETS = [ENTITY_OPERATIONS]
SNAPSHOT_OUTLETS = [ENTITY_OPERATIONS, LAKE_ENTITY_OPERATIONS]
