"""The Redshift double's own behaviour (dev/datalake_dev/redshift_double, docs/redshift.md):
each refusal, RLS (INSERT unfiltered, DELETE filtered, no policy = no rows, superuser and
IGNORE RLS bypass), UNLOAD's names and PARTITION BY layout, COPY by position and its
byte-length failure rolling back, LOCK blocking a reader, ASSUMEROLE, and a client nobody
here wrote (AWS's redshift_connector) logging in as a tenant."""

from __future__ import annotations

import io
import json
import threading
from urllib.parse import urlsplit

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytestmark = pytest.mark.integration

ROLE = "arn:aws:iam::123456789012:role/double-test"
PASSWORD = "Double-Test-Pw-1"


@pytest.fixture(scope="module")
def admin_uri(postgres_server):
    return urlsplit(postgres_server[1])


def connect(double, user, password, autocommit=True):
    return psycopg.connect(
        host="127.0.0.1",
        port=double.port,
        user=user,
        password=password,
        dbname="epilot_datalake",
        sslmode="require",
        autocommit=autocommit,
        prepare_threshold=None,
    )  # Redshift has no DEALLOCATE (the project does the same)


@pytest.fixture(scope="module")
def admin(redshift_double, admin_uri):
    with connect(redshift_double, admin_uri.username, admin_uri.password) as conn:
        conn.execute("DROP SCHEMA IF EXISTS rsd_test CASCADE")
        conn.execute("CREATE SCHEMA rsd_test")
        yield conn
        # The policy's function (SECURITY DEFINER) must not outlive the module: the PostgreSQL
        # path's isolation check refuses credentials while one exists.
        conn.execute("DROP RLS POLICY IF EXISTS rsd_only_a CASCADE")
        conn.execute("DROP SCHEMA IF EXISTS rsd_test CASCADE")


@pytest.fixture(scope="module")
def s3(platform):
    from datalake.s3 import s3_client

    return s3_client(platform)


@pytest.fixture(scope="module")
def user(admin):
    """A plain user created through the double (Redshift's CREATE USER options)."""
    import hashlib

    for name in ("rsd_alice", "rsd_bob"):
        admin.execute(f"DROP ROLE IF EXISTS {name}")
    md5 = "md5" + hashlib.md5((PASSWORD + "rsd_alice").encode()).hexdigest()
    admin.execute(
        f"CREATE USER rsd_alice PASSWORD '{md5}' NOCREATEDB NOCREATEUSER SYSLOG ACCESS RESTRICTED "
        "CONNECTION LIMIT 5 SESSION TIMEOUT 600"
    )
    admin.execute(f"CREATE USER rsd_bob PASSWORD 'sha256|{PASSWORD}'")
    admin.execute("GRANT USAGE ON SCHEMA rsd_test TO PUBLIC")
    yield "rsd_alice"


def refused(conn, sql: str) -> str:
    with pytest.raises(psycopg.errors.FeatureNotSupported) as caught:
        conn.execute(sql)
    assert conn.execute("SELECT 1").fetchone() == (1,)  # the protocol is in sync
    return str(caught.value)


@pytest.mark.parametrize(
    "sql, says",
    [
        ("COPY rsd_test.t FROM STDIN", "COPY FROM STDIN"),
        ("DEALLOCATE ALL", "DEALLOCATE ALL"),
        ("INSERT INTO rsd_test.t VALUES (1) ON CONFLICT DO NOTHING", "ON CONFLICT"),
        ("SELECT ARRAY[1, 2]", "array"),
        ("SELECT '{1,2}'::int[]", "array"),
        ("SELECT 1 = ANY(%s)", "ANY(array)"),
        ("SELECT pg_advisory_xact_lock(1)", "pg_advisory_xact_lock"),
        ("SELECT to_regclass('rsd_test.t')", "to_regclass"),
        ("SELECT pid, state FROM pg_stat_activity", "pg_stat_activity has no column"),
        ("SET TRANSACTION READ ONLY", "SET TRANSACTION"),
        ("LOCK rsd_test.t IN SHARE MODE", "LOCK"),
    ],
)
def test_refusals_say_redshift_lacks_it(admin, sql, says):
    if "%s" in sql:  # the extended protocol: refused at Parse, the protocol stays in sync
        with pytest.raises(psycopg.errors.FeatureNotSupported) as caught:
            admin.execute(sql, [[1, 2]])
        assert says in str(caught.value) or "array" in str(caught.value)
        return
    message = refused(admin, sql)
    assert says in message and "Redshift" in message


def test_documented_forms_pass(admin):
    admin.execute("BEGIN READ ONLY")
    assert admin.execute("SELECT 1 = ANY (SELECT 1)").fetchone() == (True,)
    admin.execute("COMMIT")
    admin.execute("START TRANSACTION READ WRITE")
    admin.execute("ROLLBACK")


def test_stv_tables_exist_on_provisioned_and_are_refused_on_serverless(
    admin, postgres_server, s3_server
):
    from datalake_dev.redshift_double import RedshiftDouble

    assert admin.execute(
        "SELECT count(*) FROM stv_sessions WHERE process = pg_backend_pid()"
    ).fetchone() == (1,)
    serverless = RedshiftDouble(postgres_server[1], s3_server, serverless=True).start()
    try:
        parts = urlsplit(postgres_server[1])
        with connect(serverless, parts.username, parts.password) as conn:
            assert "Serverless" in refused(conn, "SELECT process FROM stv_sessions")
    finally:
        serverless.stop()


def test_named_statements_pass_deallocate_all_does_not(admin):
    """Redshift's drivers use named prepared statements; psycopg's default resets its cache
    with DEALLOCATE ALL after a rollback, which Redshift does not have."""
    conn = psycopg.connect(admin.info.dsn, password=admin.info.password)  # psycopg's defaults
    try:
        for _ in range(8):  # prepared (named) from the 5th execution
            assert conn.execute("SELECT %s::int", [1]).fetchone() == (1,)
        with pytest.raises(psycopg.errors.FeatureNotSupported, match="DEALLOCATE ALL"):
            conn.rollback()
            conn.execute("SELECT 2")
    finally:
        conn.close()


def _put(s3, bucket, key, table):
    sink = io.BytesIO()
    pq.write_table(table, sink)
    s3.put_object(Bucket=bucket, Key=key, Body=sink.getvalue())


def test_copy_maps_columns_by_position_and_fails_whole_on_a_value_too_long_in_bytes(
    admin, s3, platform
):
    bucket = platform.lake_bucket
    admin.execute("CREATE TABLE rsd_test.copied (name varchar(6), n int, flag boolean)")
    # The file's names differ from the table's: Parquet columns are matched by position.
    _put(
        s3,
        bucket,
        "rsd/copy/a.parquet",
        pa.table({"x": ["abc", "ééé"], "y": [1, 2], "z": [True, None]}),
    )
    admin.execute(
        f"COPY rsd_test.copied FROM 's3://{bucket}/rsd/copy/' IAM_ROLE '{ROLE}' FORMAT AS PARQUET"
    )
    assert admin.execute("SELECT * FROM rsd_test.copied ORDER BY n").fetchall() == [
        ("abc", 1, True),
        ("ééé", 2, None),
    ]
    # 'ééééé' is 5 characters and 10 bytes: too long for varchar(6) on Redshift (bytes).
    _put(
        s3,
        bucket,
        "rsd/copy/b.parquet",
        pa.table({"x": ["ok", "ééééé"], "y": [3, 4], "z": [False, True]}),
    )
    with psycopg.connect(admin.info.dsn, password=admin.info.password, autocommit=False) as conn:
        conn.execute("INSERT INTO rsd_test.copied VALUES ('before', 0, NULL)")
        with pytest.raises(psycopg.Error) as caught:
            conn.execute(
                f"COPY rsd_test.copied FROM 's3://{bucket}/rsd/copy/' IAM_ROLE '{ROLE}' "
                "FORMAT AS PARQUET"
            )
        assert "String length exceeds DDL length" in str(caught.value)
        conn.rollback()
    assert admin.execute("SELECT count(*) FROM rsd_test.copied").fetchone() == (
        2,
    )  # nothing of the failed COPY


def test_unload_names_partitions_and_refuses_to_overwrite(admin, s3, platform):
    bucket = platform.lake_bucket
    admin.execute(
        "CREATE TABLE rsd_test.unloaded (id varchar(8), year varchar(4), month varchar(2))"
    )
    admin.execute(
        "INSERT INTO rsd_test.unloaded VALUES ('a', '2026', '01'), ('b', '2026', '01'), "
        "('c', '2026', '02')"
    )
    query = (
        "UNLOAD ('SELECT id, year, month FROM rsd_test.unloaded ORDER BY id') TO 's3://{}/rsd/{}' "
        "IAM_ROLE '{}' FORMAT AS PARQUET {}"
    )
    admin.execute(query.format(bucket, "plain/run-", ROLE, ""))
    keys = sorted(
        o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="rsd/plain/")["Contents"]
    )
    assert keys == ["rsd/plain/run-0000_part_00.parquet", "rsd/plain/run-0001_part_00.parquet"]
    admin.execute(query.format(bucket, "serial/run-", ROLE, "PARALLEL OFF"))
    assert [
        o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="rsd/serial/")["Contents"]
    ] == ["rsd/serial/run-000.parquet"]
    admin.execute(query.format(bucket, "parts/run-", ROLE, "PARTITION BY (year, month)"))
    keys = sorted(
        o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="rsd/parts/")["Contents"]
    )
    # A '/' is added to the prefix, and the partition columns are left out of the files.
    assert keys == [
        "rsd/parts/run-/year=2026/month=01/0000_part_00.parquet",
        "rsd/parts/run-/year=2026/month=01/0001_part_00.parquet",
        "rsd/parts/run-/year=2026/month=02/0000_part_00.parquet",
    ]
    body = s3.get_object(Bucket=bucket, Key=keys[-1])["Body"].read()
    assert pq.read_table(io.BytesIO(body)).column_names == ["id"]
    with pytest.raises(psycopg.Error, match="ALLOWOVERWRITE"):
        admin.execute(query.format(bucket, "plain/run-", ROLE, ""))
    admin.execute(query.format(bucket, "plain/run-", ROLE, "ALLOWOVERWRITE"))


def test_rls_filters_select_and_delete_not_insert(admin, user, redshift_double):
    admin.execute("CREATE TABLE rsd_test.secured (org varchar(8), v int)")
    admin.execute("INSERT INTO rsd_test.secured VALUES ('a', 1), ('b', 2)")
    admin.execute("GRANT SELECT, INSERT, DELETE ON rsd_test.secured TO rsd_alice, rsd_bob")
    admin.execute("CREATE RLS POLICY rsd_only_a WITH (org varchar(8)) AS s USING (s.org = 'a')")
    admin.execute("ATTACH RLS POLICY rsd_only_a ON rsd_test.secured TO rsd_alice")
    admin.execute("ALTER TABLE rsd_test.secured ROW LEVEL SECURITY ON")
    with connect(redshift_double, "rsd_alice", PASSWORD) as alice:
        assert alice.execute("SELECT org FROM rsd_test.secured").fetchall() == [("a",)]
        alice.execute("INSERT INTO rsd_test.secured VALUES ('b', 3)")  # INSERT is not filtered
        assert (
            alice.execute("DELETE FROM rsd_test.secured WHERE org = 'b'").rowcount == 0
        )  # nor visible
    with connect(redshift_double, "rsd_bob", PASSWORD) as bob:  # RLS on, no policy for bob
        assert bob.execute("SELECT count(*) FROM rsd_test.secured").fetchone() == (0,)
    # The table's owner (the admin) has no policy either; IGNORE RLS lets it see everything.
    assert admin.execute("SELECT count(*) FROM rsd_test.secured").fetchone() == (0,)
    admin.execute("GRANT IGNORE RLS TO rsd_bob")
    with connect(redshift_double, "rsd_bob", PASSWORD) as bob:
        assert bob.execute("SELECT count(*) FROM rsd_test.secured").fetchone() == (3,)
    admin.execute("REVOKE IGNORE RLS FROM rsd_bob")


def test_superusers_bypass_rls(admin, superuser, redshift_double):
    superuser.execute("DROP ROLE IF EXISTS rsd_super")
    superuser.execute(f"CREATE ROLE rsd_super LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
    try:
        with connect(redshift_double, "rsd_super", PASSWORD) as conn:
            assert conn.execute("SELECT count(*) FROM rsd_test.secured").fetchone()[0] >= 2
    finally:
        superuser.execute("DROP ROLE rsd_super")


def test_lock_blocks_a_reader_until_commit(admin, admin_uri, redshift_double):
    admin.execute("CREATE TABLE rsd_test.locked (v int)")
    with connect(
        redshift_double, admin_uri.username, admin_uri.password, autocommit=False
    ) as writer:
        writer.execute("LOCK rsd_test.locked")
        done = threading.Event()

        def read():
            with connect(redshift_double, admin_uri.username, admin_uri.password) as reader:
                reader.execute("SELECT count(*) FROM rsd_test.locked").fetchone()
            done.set()

        thread = threading.Thread(target=read)
        thread.start()
        assert not done.wait(1.5), "the reader was not blocked by LOCK"
        writer.commit()
        assert done.wait(10)
        thread.join()


def test_assumerole_is_public_until_revoked(admin, user, redshift_double, platform):
    admin.execute("CREATE TABLE rsd_test.mine (v int)")
    admin.execute("GRANT SELECT ON rsd_test.mine TO rsd_alice")
    unload = (
        f"UNLOAD ('SELECT v FROM rsd_test.mine') TO 's3://{platform.lake_bucket}/rsd/alice/' "
        f"IAM_ROLE '{ROLE}' FORMAT AS PARQUET ALLOWOVERWRITE"
    )
    with connect(redshift_double, "rsd_alice", PASSWORD) as alice:
        alice.execute(unload)  # PUBLIC holds ASSUMEROLE by default
    admin.execute("REVOKE ASSUMEROLE ON ALL FROM PUBLIC FOR ALL")
    try:
        with connect(redshift_double, "rsd_alice", PASSWORD) as alice:
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="ASSUMEROLE"):
                alice.execute(unload)
        admin.execute(f"GRANT ASSUMEROLE ON '{ROLE}' TO rsd_alice FOR UNLOAD")
        with connect(redshift_double, "rsd_alice", PASSWORD) as alice:
            alice.execute(unload)
    finally:
        admin.execute("GRANT ASSUMEROLE ON ALL TO PUBLIC FOR ALL")


def test_super_and_partiql_behave_as_documented(admin):
    """SUPER on jsonb: UNPIVOT lists an object's attributes (nothing for another value), the
    type functions are false for other types, v::VARCHAR is a string's text (NULL otherwise),
    an array in FROM is unnested, TRY_CAST gives NULL where the cast fails."""
    admin.execute("CREATE TABLE rsd_test.semi (id int, p SUPER)")
    admin.execute(
        'INSERT INTO rsd_test.semi SELECT 1, JSON_PARSE(\'{"a": 1, "b": "x", "d": null, '
        '"e": 1.5, "f": true, "c": {"$relation": [{"entity_id": "e1"}, {"entity_id": 2}]}}\')'
    )
    admin.execute("INSERT INTO rsd_test.semi SELECT 2, JSON_PARSE('[1, 2]')")
    rows = admin.execute(
        "SELECT s.id, attr, JSON_TYPEOF(v), IS_BIGINT(v), IS_DECIMAL(v), IS_VARCHAR(v), "
        "v::VARCHAR FROM rsd_test.semi s, UNPIVOT s.p AS v AT attr ORDER BY 1, 2"
    ).fetchall()
    assert rows == [
        (1, "a", "number", True, True, False, None),
        (1, "b", "string", False, False, True, "x"),
        (1, "c", "object", False, False, False, None),
        (1, "d", "null", False, False, False, None),
        (1, "e", "number", False, True, False, None),
        (1, "f", "boolean", False, False, False, None),
    ]
    links = admin.execute(
        "SELECT attr, r.entity_id::VARCHAR(64), IS_VARCHAR(r.entity_id), "
        'JSON_SERIALIZE(v."$relation") '
        'FROM rsd_test.semi s, UNPIVOT s.p AS v AT attr, v."$relation" AS r '
        'WHERE IS_ARRAY(v."$relation") ORDER BY 3 DESC'
    ).fetchall()
    assert [row[:3] for row in links] == [("c", "e1", True), ("c", None, False)]
    assert json.loads(links[0][3]) == [{"entity_id": "e1"}, {"entity_id": 2}]
    assert admin.execute(
        "SELECT TRY_CAST('2026-02-30T08:00:00Z' AS TIMESTAMPTZ), "
        "TRY_CAST('2026-02-28T08:00:00Z' AS TIMESTAMPTZ) IS NOT NULL, TRY_CAST('x' AS BIGINT)"
    ).fetchone() == (None, True, None)
    # Navigation from a table's column is not modelled: PostgreSQL rejects it, nothing guesses.
    with pytest.raises(psycopg.Error):
        admin.execute("SELECT s.p.a FROM rsd_test.semi s")


def test_metadata_security_views_replace_only_catalog_table_names():
    from datalake_dev.redshift_double.metadata import filtered

    sql = (
        "SELECT c.relname, 'pg_class' FROM pg_catalog.pg_class c JOIN pg_namespace n "
        'ON n.oid = c.relnamespace JOIN other.pg_attribute a ON true, "pg_type" t'
    )
    assert filtered(sql) == (
        "SELECT c.relname, 'pg_class' FROM redshift_double.ms_pg_class c JOIN "
        "redshift_double.ms_pg_namespace n ON n.oid = c.relnamespace JOIN other.pg_attribute a "
        "ON true, redshift_double.ms_pg_type t"
    )
