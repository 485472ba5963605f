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
defaults (the local platform's). Asset names never change with them: DAGs scheduled on an
asset refer to it by name, e.g. ``entity_operations``.
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
WORKFLOW_TABLES = ("workflowexecution", "workflowphases", "workflowtasks",
                   "workflowcancellations", "workflowcontexts")


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
    return f"redshift://{endpoint or warehouse_endpoint()}/{WAREHOUSE_DATABASE}/{WAREHOUSE_SCHEMA}/{table}"


LANDING_BUCKET = _bucket("LANDING_BUCKET", "AIRFLOW_VAR_DATALAKE_LANDING_BUCKET")
LAKE_BUCKET = _bucket("LAKE_BUCKET", "AIRFLOW_VAR_DATALAKE_LAKE_BUCKET")

# Inputs: what Firehose delivers, one prefix per stream.
LANDING_ENTITY_OPERATIONS = Asset(name="landing_entity_operations",
                                  uri=s3_prefix_uri(LANDING_BUCKET, ENTITY_PREFIX))
LANDING_WORKFLOW_EXECUTIONS = Asset(name="landing_workflow_executions",
                                    uri=s3_prefix_uri(LANDING_BUCKET, WORKFLOW_PREFIX))
# Outputs: the lake's Parquet and the warehouse tables.
LAKE_ENTITY_OPERATIONS = Asset(name="lake_entity_operations", uri=s3_prefix_uri(LAKE_BUCKET, ENTITY_PREFIX))
LAKE_WORKFLOW = Asset(name="lake_workflow", uri=s3_prefix_uri(LAKE_BUCKET, "workflow"))
QUARANTINE_ENTITY_OPERATIONS = Asset(name="quarantine_entity_operations",
                                     uri=s3_prefix_uri(LAKE_BUCKET, f"quarantine/{ENTITY_PREFIX}"))
ENTITY_OPERATIONS = Asset(name="entity_operations", uri=redshift_table_uri("entity_operations"))
CURRENT_ENTITIES = Asset(name="current_entities", uri=redshift_table_uri("current_entities"))
# The five workflow tables change together (one transaction); DAGs that need "the workflow
# tables were loaded" schedule on the first, named workflow_tables.
WORKFLOW_TABLE_ASSETS = tuple(
    Asset(name="workflow_tables" if i == 0 else table, uri=redshift_table_uri(table))
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
