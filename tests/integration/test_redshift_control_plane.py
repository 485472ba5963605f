"""The Redshift control plane through the Redshift double: `datalake init`'s isolation and
hardening, tenant credentials (generate, list, revoke) on a provisioned cluster and on
Serverless, a tenant credential used as an attacker would, and two writers of the run
manifest at once.

The warehouse is a database of its own (``rs_control``) in the session's PostgreSQL, initialised
through a double by `datalake init`'s code, so that its RLS and grants touch no other test.
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import datetime, timezone
from urllib.parse import quote, urlsplit

import psycopg
import pytest

from datalake import credentials
from datalake.credentials import CredentialError

pytestmark = pytest.mark.integration

DATABASE = "rs_control"
TEST_IAM_ROLE = "arn:aws:iam::123456789012:role/datalake-test-copy"
TENANT_PASSWORD = "Tenant-pw-1-only-in-this-test"


ADMIN, ADMIN_PASSWORD = "rs_admin", "Rs-admin-1-only-in-this-test"


@pytest.fixture(scope="module")
def control(platform, postgres_server, s3_server, superuser):
    """(settings through a provisioned double, the double, settings through a Serverless double)
    for the rs_control warehouse, after `datalake init`'s Redshift path run as a superuser (what
    Redshift's RLS, ASSUMEROLE and language grants need, docs/redshift.md)."""
    from datalake.warehouse_init import init_warehouse
    from datalake_dev.redshift_double import RedshiftDouble

    superuser.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    superuser.execute(f"DROP ROLE IF EXISTS {ADMIN}")
    superuser.execute(f"CREATE ROLE {ADMIN} LOGIN SUPERUSER PASSWORD '{ADMIN_PASSWORD}'")
    superuser.execute(f"CREATE DATABASE {DATABASE} OWNER {ADMIN}")
    port = urlsplit(platform.warehouse_uri).port
    upstream = f"postgresql://{ADMIN}:{ADMIN_PASSWORD}@127.0.0.1:{port}/{DATABASE}"
    provisioned = RedshiftDouble(upstream, s3_server).start()
    serverless = RedshiftDouble(upstream, s3_server, serverless=True).start()
    settings = dataclasses.replace(
        platform,
        warehouse_uri=provisioned.uri(ADMIN, ADMIN_PASSWORD, DATABASE),
        redshift_iam_role=TEST_IAM_ROLE,
    )
    init_warehouse(settings)
    serverless_settings = dataclasses.replace(
        settings,
        warehouse_uri=serverless.uri(ADMIN, ADMIN_PASSWORD, DATABASE),
        declared_warehouse_kind="redshift-serverless",
    )
    yield settings, provisioned, serverless_settings
    provisioned.stop()
    serverless.stop()
    superuser.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    # Roles are the cluster's: init here gave `datalake query`'s reader a password derived
    # from this module's admin; the session's platform derives it from its own.
    from datalake.query_reader import set_query_reader_password

    set_query_reader_password(superuser, platform)


def _upstream(superuser, postgres_server):
    """An autocommit superuser connection to rs_control itself (test set-up only)."""
    pg, _ = postgres_server
    return psycopg.connect(pg.superuser_conninfo(DATABASE), autocommit=True)


def _tenant(control, superuser, postgres_server, org="739224", double=None):
    """A credential issued through the double, and a connection to the double as that tenant.

    The double keeps the md5 verifier Redshift's CREATE USER sends; the test cluster only
    accepts SCRAM logins, so the test gives the role a SCRAM password (as the superuser, on
    the upstream) to log in with: set-up, not what is tested."""
    settings, provisioned, _ = control
    credential = credentials.generate(org, created_by="attack-test", settings=settings)
    with _upstream(superuser, postgres_server) as conn:
        conn.execute(f"ALTER ROLE {credential.username} PASSWORD '{TENANT_PASSWORD}'")
    double = double or provisioned
    conn = psycopg.connect(
        host="127.0.0.1",
        port=double.port,
        dbname=DATABASE,
        user=credential.username,
        password=TENANT_PASSWORD,
        sslmode="require",
        autocommit=True,
    )
    return credential, conn


# -- isolation and hardening -----------------------------------------------------------------


def test_init_hardens_the_database_it_is_connected_to(control, superuser, postgres_server):
    """No TEMP for tenants in the database init ran in (the URI's, not a hard-coded name)."""
    with _upstream(superuser, postgres_server) as conn:
        public_temp = conn.execute(
            f"SELECT has_database_privilege('public', '{DATABASE}', 'TEMP')"
        ).fetchone()[0]
    assert public_temp is False


def test_a_tenant_cannot_unload_into_the_lake_with_the_pipelines_iam_role(
    control, superuser, postgres_server
):
    settings, provisioned, _ = control
    from datalake.s3 import s3_client

    client = s3_client(settings)
    prefix = "entity_operations/year=2026/month=1/planted-"
    credential, tenant = _tenant(control, superuser, postgres_server)
    with tenant:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="ASSUMEROLE"):
            tenant.execute(
                f"UNLOAD ('SELECT 1 AS x') TO 's3://{settings.lake_bucket}/{prefix}' "
                f"IAM_ROLE '{TEST_IAM_ROLE}' FORMAT AS PARQUET"
            )
    listed = client.list_objects_v2(Bucket=settings.lake_bucket, Prefix=prefix)
    assert listed.get("KeyCount", 0) == 0
    # the pipeline's user still may (through datalake_pipeline)
    from datalake.warehouse import connect

    pipeline_prefix = "_staging/control-plane-test/unload-"
    with connect(settings, autocommit=True) as conn:
        conn.execute(
            f"UNLOAD ('SELECT 1 AS x') TO 's3://{settings.lake_bucket}/{pipeline_prefix}' "
            f"IAM_ROLE '{TEST_IAM_ROLE}' FORMAT AS PARQUET"
        )
    written = client.list_objects_v2(Bucket=settings.lake_bucket, Prefix=pipeline_prefix).get(
        "Contents", []
    )
    assert written
    client.delete_objects(
        Bucket=settings.lake_bucket, Delete={"Objects": [{"Key": o["Key"]} for o in written]}
    )


def test_a_tenant_can_create_no_function(control, superuser, postgres_server):
    credential, tenant = _tenant(control, superuser, postgres_server)
    with tenant:
        for language in ("sql", "plpgsql"):
            assert (
                tenant.execute(f"SELECT has_language_privilege('{language}', 'USAGE')").fetchone()[
                    0
                ]
                is False
            )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            tenant.execute("CREATE FUNCTION public.leak() RETURNS int LANGUAGE sql AS 'SELECT 1'")


def _probe_row(settings):
    from datalake.warehouse import connect

    row = [
        "del-probe",
        "EntityOperation",
        "createEntity",
        "test",
        "739224",
        "2026-01-01T00:00:00.000Z",
        "eu-central-1",
        "a1",
        "e1",
        "{}",
        "opportunity",
        "1",
        "2026",
    ]
    with connect(settings, autocommit=True) as admin:
        admin.execute("DELETE FROM epilot_datalake.entity_operations WHERE id = 'del-probe'")
        admin.execute(
            "INSERT INTO epilot_datalake.entity_operations VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            row,
        )


def test_a_pipeline_user_without_the_pipeline_role_deletes_nothing_and_inserts_everything(
    control, superuser, postgres_server
):
    """Why the pipeline role must reach the user the loads run as: RLS filters DELETE but not
    INSERT, and a user no policy reaches sees no row, so a delete-and-insert merge by such a
    user deletes nothing and inserts the rows again (duplicates, silently)."""
    settings, provisioned, _ = control
    from datalake.warehouse import connect

    user, password = "etl_plain", "Etl-plain-1-only-in-this-test"
    with _upstream(superuser, postgres_server) as conn:
        conn.execute(f"DROP ROLE IF EXISTS {user}")
        conn.execute(f"CREATE ROLE {user} LOGIN PASSWORD '{password}'")
        conn.execute(f"GRANT USAGE ON SCHEMA epilot_datalake TO {user}")
        conn.execute(f"GRANT SELECT, INSERT, DELETE ON epilot_datalake.entity_operations TO {user}")
    _probe_row(settings)
    plain = dataclasses.replace(settings, warehouse_uri=provisioned.uri(user, password, DATABASE))
    with connect(plain, autocommit=True) as conn:
        assert (
            conn.execute(
                "DELETE FROM epilot_datalake.entity_operations WHERE id = 'del-probe'"
            ).rowcount
            == 0
        )
    with connect(settings, autocommit=True) as admin:
        admin.execute(f"GRANT ROLE datalake_pipeline TO {user}")
    with connect(plain, autocommit=True) as conn:
        assert (
            conn.execute(
                "DELETE FROM epilot_datalake.entity_operations WHERE id = 'del-probe'"
            ).rowcount
            == 1
        )


def test_init_grants_the_pipeline_role_to_the_user_the_session_really_is(
    platform, s3_server, superuser
):
    """A Serverless IAM identity logs in as IAMR:<role>: init run as that user accepts the name
    and grants the pipeline role to it (not to a name read from the connection string). A
    database of its own: the double's RLS bookkeeping cannot run twice in one database while
    the init transaction holds its locks (reported with the double)."""
    from datalake.warehouse import connect
    from datalake.warehouse_init import init_warehouse
    from datalake_dev.redshift_double import RedshiftDouble

    user, password, database = "IAMR:etl_loader", "Etl-loader-1-only-in-this-test", "rs_iam"
    superuser.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    superuser.execute(f'DROP ROLE IF EXISTS "{user}"')
    # the operator identity init runs as (Redshift: a superuser or sys:secadmin)
    superuser.execute(f"CREATE ROLE \"{user}\" LOGIN SUPERUSER PASSWORD '{password}'")
    superuser.execute(f'CREATE DATABASE {database} OWNER "{user}"')
    port = urlsplit(platform.warehouse_uri).port
    double = RedshiftDouble(
        f"postgresql://{quote(user, safe='')}:{password}@127.0.0.1:{port}/{database}", s3_server
    ).start()
    try:
        iam = dataclasses.replace(
            platform,
            warehouse_uri=double.uri(user, password, database),
            redshift_iam_role=TEST_IAM_ROLE,
        )
        assert init_warehouse(iam) == []  # a superuser: metadata security turned on, no gap
        with connect(iam, autocommit=True) as conn:
            assert conn.execute("SELECT current_user").fetchone()[0] == user
            member = conn.execute(
                "SELECT pg_has_role(%s, 'datalake_pipeline', 'MEMBER')", (user,)
            ).fetchone()[0]
        assert member is True
    finally:
        double.stop()
        superuser.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        superuser.execute(f'REVOKE datalake_pipeline FROM "{user}"')


# -- credentials: list and revoke ----------------------------------------------------------


def _login_fails(double, username, password=TENANT_PASSWORD) -> bool:
    try:
        psycopg.connect(
            host="127.0.0.1",
            port=double.port,
            dbname=DATABASE,
            user=username,
            password=password,
            sslmode="require",
            connect_timeout=5,
        ).close()
    except psycopg.OperationalError:
        return True
    return False


def test_list_and_revoke_on_a_provisioned_cluster_end_the_open_session(
    control, superuser, postgres_server
):
    settings, provisioned, _ = control
    credential, tenant = _tenant(control, superuser, postgres_server, org="org-list")
    listed = credentials.list_credentials("org-list", settings=settings)
    assert [r.username for r in listed] == [credential.username] and listed[0].active
    record = credentials.revoke(credential.username, revoked_by="test", settings=settings)
    assert (
        record.revoked_at is not None
        and record.sessions_terminated == 1
        and record.sessions_note is None
    )
    with pytest.raises(psycopg.OperationalError):
        tenant.execute("SELECT 1")
    assert _login_fails(provisioned, credential.username)
    assert not credentials.list_credentials("org-list", settings=settings)[0].active


def test_revoke_on_serverless_stands_even_where_sessions_cannot_be_listed(
    control, superuser, postgres_server
):
    """Serverless has no STV tables: listing sessions there must not roll the revoke back."""
    settings, provisioned, serverless_settings = control
    credential, tenant = _tenant(control, superuser, postgres_server, org="org-serverless")
    tenant.close()
    record = credentials.revoke(
        credential.username, revoked_by="test", settings=serverless_settings
    )
    assert record.revoked_at is not None
    assert _login_fails(provisioned, credential.username)
    listed = credentials.list_credentials("org-serverless", settings=serverless_settings)
    assert listed[0].revoked_at is not None
    if record.sessions_terminated is None:  # the double has no sys_session_history: said so
        assert "not ended" in record.sessions_note
    with pytest.raises(CredentialError, match="already revoked"):
        credentials.revoke(credential.username, settings=serverless_settings)


# -- two writers of the run manifest -----------------------------------------------------------


def test_two_hourly_loads_recording_their_runs_at_once_take_turns_and_both_commit(control):
    """Redshift runs every transaction SERIALIZABLE, and two concurrent transactions that write
    one table cannot both commit (ERROR 1023): the entity and the workflow load, each under its
    own lock, both write datalake_ops.run_manifest. Both take the run manifest's lock first, so
    the second load waits before its first statement and starts its snapshot after the first
    one's commit. (The double runs the transactions on PostgreSQL, whose serializable checks are
    per row, not Redshift's per table: what is asserted is the waiting, and that both commit.)"""
    settings, _, _ = control
    from datalake.hourly.manifest import record_run
    from datalake.locks import lock_entity_operations, lock_workflow_tables
    from datalake.warehouse import connect
    from datalake.workflow.flatten import TABLES

    start, end = (
        datetime(2026, 1, 1, 5, tzinfo=timezone.utc),
        datetime(2026, 1, 1, 6, tzinfo=timezone.utc),
    )
    first_has_written, second_has_locked, errors = threading.Event(), threading.Event(), []

    def workflow_load():
        try:
            first_has_written.wait(30)
            with connect(settings) as conn:
                conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
                with conn.transaction():
                    lock_workflow_tables(conn, settings, TABLES)
                    second_has_locked.set()
                    record_run(
                        conn, "workflow_executions_hourly", "2026-01-01T05", start, end, "{}"
                    )
        except Exception as exc:  # reported below
            errors.append(exc)

    other = threading.Thread(target=workflow_load)
    other.start()
    with connect(settings) as conn:
        conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
        with conn.transaction():
            lock_entity_operations(conn, settings)
            record_run(conn, "entity_operations_hourly", "2026-01-01T05", start, end, "{}")
            first_has_written.set()
            # the other load had time to pass its locks: it must still be waiting
            assert not second_has_locked.wait(1.5), "the second writer of run_manifest did not wait"
    other.join(60)
    assert errors == []
    with connect(settings) as conn:
        rows = conn.execute(
            "SELECT pipeline FROM datalake_ops.run_manifest WHERE run_key = '2026-01-01T05' "
            "ORDER BY pipeline"
        ).fetchall()
    assert rows == [("entity_operations_hourly",), ("workflow_executions_hourly",)]


# -- typed tables ----------------------------------------------------------------------------


def test_a_tenant_sees_its_own_typed_tables_and_no_other_organisations_names(
    control, superuser, postgres_server
):
    """The typed tables built through the double; a tenant logged in through it lands on its
    own typed schema, reads it, is refused the other organisation's, and with metadata security
    (turned on by `datalake init`) cannot even list the other's table or column names."""
    from test_typed_tables import CONTACT, OPP, OPP_B, ORG_A, ORG_B, T0, Warehouse

    from datalake.typed import refresh as typed
    from datalake.warehouse import connect

    settings, provisioned, _ = control
    with _upstream(superuser, postgres_server) as pg:
        assert pg.execute(
            "SELECT value FROM redshift_double.system_setting WHERE name = 'metadata_security'"
        ).fetchone() == (True,)
        Warehouse(pg).hour(
            "typed-2026112008",
            [
                (ORG_A, "opp-1", "opportunity", "createEntity", T0, OPP),
                (ORG_A, "con-1", "contact", "createEntity", T0, CONTACT),
                (ORG_B, "opp-b", "opportunity", "createEntity", T0, OPP_B),
            ],
        )
        with connect(settings, autocommit=True) as conn:
            typed.refresh(conn)
        schemas = dict(
            pg.execute("SELECT org_id, schema_name FROM datalake_ops.typed_schemas").fetchall()
        )
    own, other = schemas[ORG_A], schemas[ORG_B]
    credential, tenant = _tenant(control, superuser, postgres_server, org=ORG_A)
    with tenant:
        assert tenant.execute("SELECT current_schema()").fetchone() == (own,)
        assert tenant.execute("SELECT entity_id, flag FROM opportunity").fetchall() == [
            ("opp-1", True)
        ]
        assert tenant.execute("SELECT count(*) FROM _relations").fetchone() == (1,)
        for statement in (
            f"SELECT * FROM {other}.opportunity",
            f"SELECT * FROM {other}._attributes",
            "SELECT * FROM datalake_ops.typed_schemas",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                tenant.execute(statement)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            tenant.execute("INSERT INTO opportunity (entity_id) VALUES ('x')")
        # The catalog as an attacker reads it: the other organisation's schema, tables and
        # columns are not listed at all (metadata security), its own are.
        typed_relations = tenant.execute(
            "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname LIKE 't\\_%'"
        ).fetchall()
        assert {s for s, _ in typed_relations} == {own}
        assert {"opportunity", "contact", "_attributes"} <= {r for _, r in typed_relations}
        for query in (
            "SELECT attname FROM pg_attribute WHERE attname = 'secret_b_attribute'",
            f"SELECT nspname FROM pg_namespace WHERE nspname = '{other}'",
            f"SELECT tablename FROM pg_tables WHERE schemaname = '{other}'",
            f"SELECT typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            f"WHERE n.nspname = '{other}'",
            f"SELECT conname FROM pg_constraint WHERE conname LIKE '%opportunity%' "
            f"AND connamespace = (SELECT oid FROM pg_namespace WHERE nspname = '{other}')",
        ):
            assert tenant.execute(query).fetchall() == [], query
        assert tenant.execute(
            "SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '{own}' "
            "AND c.relname = 'opportunity' AND a.attname = 'flag'"
        ).fetchone() == (1,)
        # Nor can it turn metadata security off (nor could `datalake init` run as it on).
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            tenant.execute("ALTER SYSTEM SET metadata_security = false")
        from datalake.warehouse_init import enable_metadata_security

        ((item, problem),) = enable_metadata_security(tenant)
        assert item == "metadata security" and problem.startswith("OFF")
        # What a BI tool's schema browser lists through information_schema.
        assert {
            r[0]
            for r in tenant.execute(
                "SELECT table_schema FROM information_schema.columns "
                "WHERE table_schema LIKE 't\\_%' OR column_name = 'secret_b_attribute'"
            )
        } == {own}
