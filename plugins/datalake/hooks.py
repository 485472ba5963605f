"""The lake and warehouse connections in one hook, for the operators and any other team's DAG.

It returns what config.py, s3.py and warehouse.py build (settings from the env vars of
``datalake status``, the ``aws_default`` connection, or the one named by DATALAKE_AWS_CONN_ID /
the Variable ``datalake_aws_conn_id``, read by the amazon provider's S3Hook, ``redshift_default``
read like RedshiftSQLHook, the ``datalake_*`` variables, local defaults): those modules stay
the one place that knows how; this class is the Airflow-facing door.
"""

from __future__ import annotations

from functools import cached_property

from airflow.sdk import BaseHook


class DatalakeHook(BaseHook):
    hook_name = "Data lake (S3 + warehouse)"

    def __init__(self, use_airflow: bool = True):
        super().__init__()
        self.use_airflow = use_airflow

    @cached_property
    def settings(self):
        from datalake.config import load_settings

        return load_settings(use_airflow=self.use_airflow)

    @cached_property
    def s3(self):
        """A boto3 S3 client for the landing zone and the lake."""
        from datalake.s3 import s3_client

        return s3_client(self.settings)

    def warehouse(self, **kwargs):
        """A context manager: an open warehouse connection (datalake.warehouse.connect)."""
        from datalake.warehouse import connect

        return connect(self.settings, **kwargs)

    def get_conn(self):
        return self.s3
