"""Redshift-only behaviour of the pipeline, through the Redshift double (docs/redshift.md):
a load's writer lock does not block readers, and the lake UNLOADs pass a bucket that demands
server-side encryption."""

from __future__ import annotations

import threading

import psycopg
import pytest

pytestmark = pytest.mark.integration


@pytest.fixture
def rs_settings(platform, redshift_double):
    from conftest import redshift_settings

    return redshift_settings(platform, redshift_double)


def _reader_waits(settings, table: str, take_lock) -> bool:
    """True when a reader of `table` had to wait while a writer held the pipeline's lock."""
    from datalake.warehouse import connect

    with connect(settings) as writer:
        with writer.transaction():
            take_lock(writer)
            result = {}

            def read():
                with connect(settings, autocommit=True) as reader:
                    reader.execute("SET statement_timeout = 3000")
                    try:
                        reader.execute(f"SELECT count(*) FROM epilot_datalake.{table}").fetchone()
                        result["waited"] = False
                    except psycopg.errors.QueryCanceled:
                        result["waited"] = True

            thread = threading.Thread(target=read)
            thread.start()
            thread.join(15)
    return result["waited"]


def test_a_load_holding_the_entity_lock_does_not_block_readers(rs_settings):
    from datalake.locks import lock_entity_operations

    assert not _reader_waits(
        rs_settings, "entity_operations", lambda c: lock_entity_operations(c, rs_settings)
    )


def test_a_workflow_load_holding_its_lock_does_not_block_readers(rs_settings):
    from datalake.sqlfiles import execute_file
    from datalake.workflow.load import TABLES

    def take(conn):
        execute_file(conn, "redshift/lock_workflow_tables.sql", tables=list(TABLES))

    assert not _reader_waits(rs_settings, "WorkflowTasks", take)


def test_the_lake_unloads_pass_a_bucket_that_demands_kms(platform, postgres_server, s3_server):
    """A lake bucket whose policy denies PUTs without SSE-KMS: UNLOAD writes there only with
    ENCRYPTED AUTO (the bucket's default encryption)."""
    from conftest import redshift_settings
    from datalake.sqlfiles import execute_file
    from datalake.warehouse import connect
    from datalake_dev.redshift_double import RedshiftDouble

    double = RedshiftDouble(
        postgres_server[1], s3_server, kms_only_buckets=(platform.lake_bucket,)
    ).start()
    try:
        settings = redshift_settings(platform, double)
        with connect(settings) as conn:
            conn.execute(
                "CREATE TEMP TABLE stage_entity_operations AS SELECT * FROM "
                "epilot_datalake.entity_operations LIMIT 0"
            )
            conn.execute(
                'INSERT INTO stage_entity_operations (id, "detail-type", operation, account, time, '
                "entity_id, month, year) "
                "VALUES ('kms-1', 't', 'createEntity', '1', 't', 'e', '11', '2026')"
            )
            execute_file(
                conn,
                "redshift/unload_entity_operations.sql",
                year="2026",
                month="11",
                prefix_uri=f"s3://{platform.lake_bucket}/kms-test/part-x-",
                iam_role=settings.redshift_iam_role,
            )
            conn.rollback()
        assert double.unloads and double.unloads[-1]["rows"] == 1
    finally:
        double.stop()
        from datalake.hourly.lake import delete_prefix
        from datalake.s3 import s3_client

        delete_prefix(s3_client(platform), platform.lake_bucket, "kms-test/")


def test_datalake_query_runs_as_the_read_only_reader_on_redshift(rs_settings, platform):
    from datalake.query import run_query
    from datalake.query_reader import apply_redshift_query_reader, set_query_reader_password
    from datalake.warehouse import connect

    with connect(rs_settings) as conn:  # what `datalake init` does on Redshift
        apply_redshift_query_reader(conn, rs_settings)
        conn.commit()
    try:
        assert run_query("SELECT current_user", rs_settings).rows == [("datalake_reader",)]
        with pytest.raises(
            (psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction)
        ):
            run_query("COMMIT; DELETE FROM epilot_datalake.entity_operations", rs_settings)
    finally:
        with connect(platform) as conn:  # the local reader's SCRAM verifier again
            set_query_reader_password(conn, platform)
            conn.commit()
