"""`datalake query` runs as datalake_reader, a role without write privileges: ending
the read-only transaction from inside the SQL does not let it write. Real PostgreSQL, real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg import errors

from datalake.query import run_query
from datalake.warehouse import connect

pytestmark = pytest.mark.integration

DATALAKE = str(Path(sys.executable).parent / "datalake")


def _exists(platform, name: str) -> bool:
    with connect(platform) as conn:
        return conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()[0]


@pytest.mark.parametrize(
    "sql",
    [
        "COMMIT; CREATE TABLE public.x (i int)",
        "COMMIT; CREATE TABLE epilot_datalake.x (i int)",
    ],
)
def test_ending_the_read_only_transaction_does_not_let_the_query_create(platform, sql):
    # The reader's sessions are read-only by default too; the cases below lift that.
    with pytest.raises((errors.ReadOnlySqlTransaction, errors.InsufficientPrivilege)):
        run_query(sql, platform)
    assert not _exists(platform, "public.x") and not _exists(platform, "epilot_datalake.x")


@pytest.mark.parametrize(
    "sql",
    [
        "COMMIT; BEGIN READ WRITE; CREATE TABLE public.x (i int)",
        "COMMIT; BEGIN READ WRITE; CREATE TABLE epilot_datalake.x (i int)",
        "COMMIT; SET default_transaction_read_only = off; COMMIT; CREATE TABLE public.x (i int)",
        (
            "COMMIT; SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE; COMMIT; "
            "CREATE TABLE epilot_datalake.x (i int)"
        ),
    ],
)
def test_lifting_read_only_too_leaves_only_a_lack_of_privilege(platform, sql):
    with pytest.raises(errors.InsufficientPrivilege):
        run_query(sql, platform)
    assert not _exists(platform, "public.x") and not _exists(platform, "epilot_datalake.x")


@pytest.mark.parametrize(
    "sql",
    [
        "COMMIT; BEGIN READ WRITE; DELETE FROM entity_operations",
        "COMMIT; BEGIN READ WRITE; INSERT INTO datalake_ops.run_manifest (pipeline) VALUES ('x')",
        "COMMIT; BEGIN READ WRITE; SELECT lo_from_bytea(0, 'x'::bytea)",
        "COMMIT; BEGIN READ WRITE; CREATE TEMPORARY TABLE t (i int)",
        "COMMIT; BEGIN READ WRITE; SELECT * FROM datalake_ops.credential_verifiers",
        "COMMIT; BEGIN READ WRITE; SELECT * FROM datalake_ops.pipeline_locks FOR UPDATE",
        "COMMIT; SET ROLE datalake_admin; CREATE TABLE public.x (i int)",
    ],
)
def test_no_write_path_is_open_to_the_query_role(platform, sql):
    with pytest.raises(errors.InsufficientPrivilege):
        run_query(sql, platform)


def test_set_transaction_read_write_inside_the_query_fails(platform):
    with pytest.raises(psycopg.Error):
        run_query("SET TRANSACTION READ WRITE; DELETE FROM entity_operations", platform)


def test_the_query_role_reads_every_organisation(platform):
    with connect(platform) as admin:
        expected = admin.execute(
            "SELECT count(*) FROM epilot_datalake.workflowexecution"
        ).fetchone()[0]
    assert run_query("SELECT current_user, count(*) FROM workflowexecution", platform).rows == [
        ("datalake_reader", expected)
    ]


def _cli(*args, stdin: bytes | None = None):
    return subprocess.run(
        [DATALAKE, "query", *args], input=stdin, capture_output=True, env=os.environ.copy()
    )


def test_cli_nul_bytes_and_binary_input_give_one_line_and_exit_2(platform, tmp_path):
    binary = tmp_path / "query.bin"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    for result in (
        _cli("-f", str(binary)),
        _cli("-", stdin=b"SELECT 1\x00"),
        _cli("-", stdin=b"\xff\xfe SELECT"),
    ):
        err = result.stderr.decode()
        assert result.returncode == 2, err
        assert len(err.strip().splitlines()) == 1 and err.startswith("datalake query: error: "), err
        assert "NUL byte" in err or "not UTF-8" in err
    written = _cli("COMMIT; BEGIN READ WRITE; CREATE TABLE public.x (i int)")
    assert written.returncode == 2 and "permission denied" in written.stderr.decode()
