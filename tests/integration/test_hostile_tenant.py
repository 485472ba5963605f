"""A tenant credential used the way an attacker would, with REAL logins over TCP to the
local PostgreSQL stand-in: it must not stall the pipeline, write anything, or lift its limits.
"""

from __future__ import annotations

import threading

import psycopg
import pytest
from psycopg import errors
from tenants import login

from datalake import credentials
from datalake.credentials import TENANT_TABLES
from datalake.credentials import rules as credentials_rules
from datalake.locks import (
    ENTITY_OPERATIONS_LOCK,
    INIT_LOCK,
    WORKFLOW_TABLES_LOCK,
    take_pipeline_lock,
)
from datalake.warehouse import connect
from datalake.warehouse_init import hardening_gaps, init_warehouse

pytestmark = pytest.mark.integration

ORG = "hostile-1"
LOCK_MODES = (
    "ACCESS SHARE",
    "ROW SHARE",
    "ROW EXCLUSIVE",
    "SHARE UPDATE EXCLUSIVE",
    "SHARE",
    "SHARE ROW EXCLUSIVE",
    "EXCLUSIVE",
    "ACCESS EXCLUSIVE",
)
OLD_ADVISORY_KEYS = ("entity_operations", "workflow_tables", "datalake-init")


@pytest.fixture(scope="module")
def cred(platform):
    issued = credentials.generate(ORG, created_by="hostile-tenant-test", settings=platform)
    yield issued
    if any(
        r.username == issued.username and r.active
        for r in credentials.list_credentials(settings=platform)
    ):
        credentials.revoke(issued.username, settings=platform)


def _attempt(conn, statement, *args) -> str:
    """Run one statement inside the tenant's open transaction, keeping the locks taken so far."""
    conn.execute("SAVEPOINT attempt")
    try:
        conn.execute(statement, *args)
        conn.execute("RELEASE SAVEPOINT attempt")
        return "ok"
    except psycopg.Error as exc:
        conn.execute("ROLLBACK TO SAVEPOINT attempt")
        return type(exc).__name__


def hold_every_lock(conn) -> dict[str, str]:
    """Take every lock a tenant can reach and keep the transaction open; returns what happened."""
    outcome = {}
    conn.execute("SET default_transaction_read_only = off")
    conn.execute("BEGIN READ WRITE")
    for key in OLD_ADVISORY_KEYS:
        outcome[f"advisory {key}"] = _attempt(conn, "SELECT pg_advisory_lock(hashtext(%s))", (key,))
        outcome[f"advisory xact {key}"] = _attempt(
            conn, "SELECT pg_advisory_xact_lock(hashtext(%s))", (key,)
        )
    for table, _ in TENANT_TABLES:
        outcome[f"select {table}"] = _attempt(conn, f"SELECT count(*) FROM epilot_datalake.{table}")
        outcome[f"for update {table}"] = _attempt(
            conn, f"SELECT 1 FROM epilot_datalake.{table} FOR UPDATE"
        )
        for mode in LOCK_MODES:
            outcome[f"lock {table} {mode}"] = _attempt(
                conn, f"LOCK TABLE epilot_datalake.{table} IN {mode} MODE"
            )
    # Relations a tenant may not name can still be reached by OID through size functions, which
    # take ACCESS SHARE without a privilege check: every relation of the warehouse's schemas.
    oids = conn.execute(
        "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname IN ('epilot_datalake', 'datalake_ops', 'redshift_compat') "
        "AND c.relkind IN ('r', 'i', 'p')"
    ).fetchall()
    outcome["relation size by oid"] = _attempt(
        conn, "SELECT sum(pg_relation_size(o)) FROM unnest(%s::oid[]) o", ([o for (o,) in oids],)
    )
    return outcome


def _pipeline_does_not_wait(settings) -> None:
    """The three pipeline locks, and the writes the loads make, each within a 3 s lock_timeout."""
    with connect(settings) as conn:
        conn.execute("SET lock_timeout = '3s'")
        for name in (ENTITY_OPERATIONS_LOCK, WORKFLOW_TABLES_LOCK, INIT_LOCK):
            with conn.transaction(force_rollback=True):
                take_pipeline_lock(conn, name)
                for table, column in TENANT_TABLES:
                    conn.execute(
                        f"DELETE FROM epilot_datalake.{table} WHERE {column} = 'no-such-org'"
                    )


def test_a_tenant_holding_every_lock_it_can_does_not_stall_loads_or_init(
    cred, platform, monkeypatch
):
    with login(cred) as tenant:
        outcome = hold_every_lock(tenant)
        # What it could take: ACCESS SHARE by reading, nothing stronger; no advisory lock here.
        assert outcome[f"select {TENANT_TABLES[0][0]}"] == "ok"
        assert outcome["relation size by oid"] == "ok"
        assert all(
            outcome[f"advisory {k}"] == "InsufficientPrivilege" for k in OLD_ADVISORY_KEYS
        ), outcome
        stronger = {
            k: v
            for k, v in outcome.items()
            if k.startswith(("for update", "lock ")) and not k.endswith("ACCESS SHARE")
        }
        assert set(stronger.values()) == {"InsufficientPrivilege"}, stronger
        held = tenant.execute(
            "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND granted"
        ).fetchone()[0]
        assert held > len(TENANT_TABLES)

        _pipeline_does_not_wait(platform)
        # `datalake init` too: a wait becomes an error (lock_timeout), and init must finish.
        monkeypatch.setenv("PGOPTIONS", "-c lock_timeout=5s")
        errors_seen = []
        worker = threading.Thread(target=lambda: _run(init_warehouse, platform, errors_seen))
        worker.start()
        worker.join(60)
        assert not worker.is_alive() and not errors_seen, errors_seen
        assert tenant.execute("SELECT 1").fetchone() == (
            1,
        )  # the tenant's transaction was still open
        tenant.execute("ROLLBACK")


def _run(fn, settings, errors_seen):
    try:
        fn(settings)
    except Exception as exc:  # noqa: BLE001 - reported by the test
        errors_seen.append(exc)


def test_without_the_superuser_hardening_advisory_locks_still_do_not_stall_the_pipeline(
    cred, platform, superuser
):
    """A foreign PostgreSQL where `datalake init` is not superuser: advisory locks stay open to
    every login. The tenant takes the keys the pipeline used to use; the pipeline no longer
    cares."""
    funcs = [
        r[0]
        for r in superuser.execute(
            "SELECT oid::regprocedure::text FROM pg_proc "
            "WHERE pronamespace = 'pg_catalog'::regnamespace "
            "AND proname LIKE 'pg\\_%advisory\\_%'"
        ).fetchall()
    ]
    for f in funcs:
        superuser.execute(f"GRANT EXECUTE ON FUNCTION {f} TO PUBLIC")
    try:
        with connect(platform) as conn:
            assert (
                "pg_advisory_* functions",
                "executable by every login (a tenant can take advisory locks)",
            ) in hardening_gaps(conn)
        with login(cred) as tenant:
            tenant.execute("BEGIN")
            for key in OLD_ADVISORY_KEYS:
                tenant.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
            _pipeline_does_not_wait(platform)
            tenant.execute("ROLLBACK")
    finally:
        for f in funcs:
            superuser.execute(f"REVOKE EXECUTE ON FUNCTION {f} FROM PUBLIC")


def test_the_pipeline_role_can_end_a_tenant_backend(cred, platform):
    tenant = login(cred)
    pid = tenant.execute("SELECT pg_backend_pid()").fetchone()[0]
    tenant.execute("BEGIN")
    tenant.execute(f"SELECT count(*) FROM epilot_datalake.{TENANT_TABLES[0][0]}")
    with connect(platform) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone()[0] is True
    with pytest.raises(psycopg.OperationalError):
        tenant.execute("SELECT 1")
    tenant.close()


def test_the_local_bootstrap_leaves_no_hardening_gap(platform):
    with connect(platform) as conn:
        assert hardening_gaps(conn) == []


# --- read-only by privileges ----------------------------------------------------------------

WRITE_ATTEMPTS = {
    "large object from bytea": "SELECT lo_from_bytea(0, '\\x00ff'::bytea)",
    "large object create": "SELECT lo_create(0)",
    "large object creat": "SELECT lo_creat(-1)",
    "large object import": "SELECT lo_import('/etc/hostname')",
    "temporary table": "CREATE TEMPORARY TABLE t (i int)",
    "temporary function": "CREATE FUNCTION pg_temp.f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "function in public": "CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "function in epilot_datalake": (
        "CREATE FUNCTION epilot_datalake.f() RETURNS int LANGUAGE sql AS 'SELECT 1'"
    ),
    "function in redshift_compat": (
        "CREATE FUNCTION redshift_compat.f() RETURNS int LANGUAGE sql AS 'SELECT 1'"
    ),
    "table in public": "CREATE TABLE public.x (i int)",
    "table in epilot_datalake": "CREATE TABLE epilot_datalake.x (i int)",
    "sequence in public": "CREATE SEQUENCE public.s",
    "sequence in epilot_datalake": "CREATE SEQUENCE epilot_datalake.s",
    "schema": "CREATE SCHEMA mine",
    "copy to server file": "COPY (SELECT 1) TO '/tmp/datalake-tenant-copy'",
    "copy from server file": "COPY epilot_datalake.workflowexecution FROM '/etc/hostname'",
    "copy to program": "COPY (SELECT 1) TO PROGRAM 'true'",
    "comment on a table": "COMMENT ON TABLE epilot_datalake.entity_operations IS 'mine'",
    "role": "CREATE ROLE mine",
    "database": "CREATE DATABASE mine",
    "admin of its group": "GRANT datalake_tenant TO CURRENT_USER WITH ADMIN OPTION",
    "reset the role's temp_file_limit": "ALTER ROLE CURRENT_USER RESET temp_file_limit",
    "raise temp_file_limit": "SET temp_file_limit = -1",
    "valid until": "ALTER ROLE CURRENT_USER VALID UNTIL 'infinity'",
    "connection limit": "ALTER ROLE CURRENT_USER CONNECTION LIMIT -1",
}


def test_every_write_path_fails_for_lack_of_privilege_after_lifting_read_only(
    cred, platform, superuser
):
    los_before = superuser.execute("SELECT count(*) FROM pg_largeobject_metadata").fetchone()[0]
    with login(cred) as tenant:
        tenant.execute("SET default_transaction_read_only = off")
        assert tenant.execute("SHOW transaction_read_only").fetchone()[0] == "off"
        outcome = {}
        for what, statement in WRITE_ATTEMPTS.items():
            try:
                tenant.execute(statement)
                outcome[what] = "ok"
            except psycopg.Error as exc:
                outcome[what] = type(exc).__name__
        for table, column in TENANT_TABLES:
            for verb, statement in {
                "insert": f"INSERT INTO epilot_datalake.{table} ({column}) VALUES ('{ORG}')",
                "update": f"UPDATE epilot_datalake.{table} SET {column} = {column}",
                "delete": f"DELETE FROM epilot_datalake.{table}",
                "truncate": f"TRUNCATE epilot_datalake.{table}",
            }.items():
                try:
                    tenant.execute(statement)
                    outcome[f"{verb} {table}"] = "ok"
                except psycopg.Error as exc:
                    outcome[f"{verb} {table}"] = type(exc).__name__
            with pytest.raises(errors.InsufficientPrivilege):
                with tenant.cursor().copy(
                    f"COPY epilot_datalake.{table} ({column}) FROM STDIN"
                ) as copy:
                    copy.write_row((ORG,))
        # Extensions need CREATE on the database (this build ships none but plpgsql: tried when
        # present).
        for (ext,) in tenant.execute(
            "SELECT name FROM pg_available_extensions WHERE installed_version IS NULL"
        ).fetchall():
            try:
                tenant.execute(f'CREATE EXTENSION "{ext}"')
                outcome[f"extension {ext}"] = "ok"
            except psycopg.Error as exc:
                outcome[f"extension {ext}"] = type(exc).__name__
        for (seq,) in tenant.execute(
            "SELECT format('%I.%I', schemaname, sequencename) FROM pg_sequences"
        ).fetchall():
            try:
                tenant.execute("SELECT nextval(%s)", (seq,))
                outcome[f"nextval {seq}"] = "ok"
            except psycopg.Error as exc:
                outcome[f"nextval {seq}"] = type(exc).__name__
    assert {k: v for k, v in outcome.items() if v != "InsufficientPrivilege"} == {}
    assert (
        superuser.execute("SELECT count(*) FROM pg_largeobject_metadata").fetchone()[0]
        == los_before
    )
    settings = dict(
        superuser.execute(
            "SELECT split_part(s, '=', 1), split_part(s, '=', 2) FROM pg_db_role_setting d "
            "JOIN pg_roles r ON r.oid = d.setrole, unnest(d.setconfig) s WHERE r.rolname = %s",
            (cred.username,),
        ).fetchall()
    )
    assert settings["temp_file_limit"] == credentials_rules.TENANT_TEMP_FILE_LIMIT


def test_a_password_the_tenant_sets_itself_is_undone_by_the_watchdog_round(cred, platform):
    """PostgreSQL lets every role change its own password: no privilege stops it (stated in
    docs/credentials.md). restore_tenant_passwords, run by the tenant watchdog, puts back the
    issued verifier; the tenant's own password then fails and the issued one works."""
    chosen = "Tenant-Chosen-Password-1"
    with login(cred) as tenant:
        tenant.execute("SET default_transaction_read_only = off")
        tenant.execute(f"ALTER ROLE CURRENT_USER PASSWORD '{chosen}'")  # allowed by PostgreSQL
    with psycopg.connect(
        host="127.0.0.1",
        port=cred.port,
        user=cred.username,
        password=chosen,
        dbname=cred.database,
        connect_timeout=5,
    ):
        pass
    with connect(platform) as admin:
        assert credentials.restore_tenant_passwords(admin) >= 1
        admin.commit()
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(
            host="127.0.0.1",
            port=cred.port,
            user=cred.username,
            password=chosen,
            dbname=cred.database,
            connect_timeout=5,
        )
    with login(cred) as tenant:
        assert tenant.execute("SELECT current_user").fetchone()[0] == cred.username


# --- plans and statistics ----------------------------------------------------------------------


def _plan_nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


def test_postgres_plans_still_count_other_organisations_rows_documented_limitation(cred, platform):
    """The DOCUMENTED limitation of the PostgreSQL stand-in (README, docs/credentials.md): row-level
    security filters rows but EXPLAIN ANALYZE reports how many it removed, so a tenant learns
    how many rows other organisations have (and, with prefix searches, their ids). If this test
    starts failing, the channel was closed and the documentation must say so."""
    foreign = 7
    with connect(platform) as admin:
        admin.execute("DELETE FROM epilot_datalake.workflowexecution WHERE id LIKE 'plan-leak-%'")
        rows = [(ORG, f"plan-leak-own-{i}") for i in range(2)] + [
            ("other-org", f"plan-leak-foreign-{i}") for i in range(foreign)
        ]
        with admin.cursor() as cur:
            cur.executemany(
                "INSERT INTO epilot_datalake.workflowexecution (org_id, id, name, status) "
                "VALUES (%s, %s, 'wf', 'STARTED')",
                rows,
            )
        admin.commit()
        admin.execute("ANALYZE epilot_datalake.workflowexecution")
        admin.commit()
        assert (
            admin.execute(
                "SELECT count(*) FROM pg_stats WHERE schemaname = 'epilot_datalake' "
                "AND tablename = 'workflowexecution'"
            ).fetchone()[0]
            > 0
        )
    try:
        with login(cred) as tenant:
            query = "SELECT * FROM epilot_datalake.workflowexecution WHERE id LIKE 'plan-leak-%'"
            assert len(tenant.execute(query).fetchall()) == 2  # RLS: only its own rows come back
            ((plan,),) = tenant.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query).fetchone()
            removed = sum(n.get("Rows Removed by Filter", 0) for n in _plan_nodes(plan["Plan"]))
            assert removed >= foreign  # ... but the plan counts the other organisation's rows
            # The cheap part that is closed: per-table statistics.
            assert (
                tenant.execute(
                    "SELECT count(*) FROM pg_stats WHERE schemaname = 'epilot_datalake' "
                    "AND tablename = 'workflowexecution'"
                ).fetchone()[0]
                == 0
            )
            with pytest.raises(errors.InsufficientPrivilege):
                tenant.execute("SELECT n_live_tup FROM pg_stat_user_tables").fetchall()
            with pytest.raises(errors.InsufficientPrivilege):
                tenant.execute(
                    "SELECT pg_stat_get_live_tuples('epilot_datalake.workflowexecution'::regclass)"
                ).fetchall()
    finally:
        with connect(platform) as admin:
            admin.execute(
                "DELETE FROM epilot_datalake.workflowexecution WHERE id LIKE 'plan-leak-%'"
            )
            admin.commit()


# --- bounded resources -------------------------------------------------------------------------


def _in_thread(fn):
    box = {}

    def run():
        try:
            box["result"] = fn()
        except Exception as exc:  # noqa: BLE001 - inspected by the test
            box["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    return worker, box


def test_watchdog_ends_a_long_tenant_query_the_tenant_made_unlimited(cred, platform):
    import time

    from datalake_dev.local.tenant_watchdog import watch_once

    tenant = login(cred)
    tenant.execute("SET statement_timeout = 0")  # the tenant lifts its own default
    worker, box = _in_thread(lambda: tenant.execute("SELECT pg_sleep(60)").fetchall())
    try:
        time.sleep(2.5)
        with connect(platform, autocommit=True) as admin:
            assert watch_once(admin, limit_seconds=30) == []  # under the limit: left alone
            ended = watch_once(admin, limit_seconds=1)
        worker.join(15)
        assert not worker.is_alive()
        assert [(e.username, e.reason, e.terminated) for e in ended] == [
            (cred.username, "query ran past the limit", True)
        ]
        assert isinstance(box.get("error"), psycopg.OperationalError)
    finally:
        tenant.close()


def test_watchdog_ends_an_idle_transaction_and_a_tenant_blocking_the_pipeline(cred, platform):
    import time

    from datalake_dev.local.tenant_watchdog import watch_once

    table = TENANT_TABLES[2][0]
    tenant = login(cred)
    tenant.execute("BEGIN")
    tenant.execute(
        f"SELECT count(*) FROM epilot_datalake.{table}"
    )  # holds ACCESS SHARE, stays open
    waiter = psycopg.connect(platform.warehouse_uri, autocommit=False)
    worker, box = _in_thread(
        lambda: waiter.execute(f"LOCK TABLE epilot_datalake.{table} IN ACCESS EXCLUSIVE MODE")
    )
    try:
        time.sleep(1.5)
        assert worker.is_alive()  # really blocked by the tenant
        with connect(platform, autocommit=True) as admin:
            ended = watch_once(admin, limit_seconds=3600, grace_seconds=1)
        assert [(e.username, e.reason) for e in ended] == [
            (cred.username, "holds a lock the pipeline waits for")
        ]
        worker.join(15)
        assert not worker.is_alive() and "error" not in box
    finally:
        tenant.close()
        worker.join(15)
        waiter.rollback()
        waiter.close()
    tenant = login(cred)
    tenant.execute("BEGIN")
    tenant.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
    time.sleep(2.5)
    with connect(platform, autocommit=True) as admin:
        ended = watch_once(admin, limit_seconds=2)
    assert [(e.username, e.reason) for e in ended] == [
        (cred.username, "transaction idle past the limit")
    ]
    tenant.close()


def test_connection_limit_per_credential(cred, platform):
    opened = []
    try:
        with pytest.raises(psycopg.OperationalError, match="too many connections"):
            for _ in range(credentials_rules.CONNECTION_LIMIT + 1):
                opened.append(login(cred))
        assert len(opened) == credentials_rules.CONNECTION_LIMIT
    finally:
        for conn in opened:
            conn.close()


def test_real_entity_and_workflow_loads_finish_while_a_tenant_holds_every_lock_it_can(
    clean_platform, monkeypatch
):
    """The hourly loads themselves (plan, process, assess, load into PostgreSQL), not just their
    lock functions, with a tenant holding every lock it can reach; a wait would be an error."""
    from datetime import datetime, timezone

    from datalake.entity.stream import ENTITY_STREAM
    from datalake.s3 import s3_client
    from datalake.workflow.stream import WORKFLOW_STREAM
    from datalake_dev.producer import ProducerConfig, simulate, upload

    start = datetime(2026, 11, 2, 7, tzinfo=timezone.utc)
    client = s3_client(clean_platform)
    upload(simulate(start, 1, ProducerConfig(seed=17)), client, clean_platform.landing_bucket)
    cred = credentials.generate("hostile-2", settings=clean_platform)
    try:
        with login(cred) as tenant:
            hold_every_lock(tenant)
            monkeypatch.setenv("PGOPTIONS", "-c lock_timeout=10s")
            entity = ENTITY_STREAM.run_hour(client, clean_platform, start)
            workflow = WORKFLOW_STREAM.run_hour(client, clean_platform, start)
            assert tenant.execute("SELECT 1").fetchone() == (1,)  # still holding, transaction open
            tenant.execute("ROLLBACK")
        assert entity["loaded"] > 0 and workflow["loaded"] > 0
    finally:
        credentials.revoke(cred.username, settings=clean_platform)


def test_the_watchdog_process_as_the_platform_starts_it_ends_a_long_tenant_query(cred, platform):
    """`python -m datalake_dev.local.tenant_watchdog`, the command `make run` spawns, with a 2 s
    limit."""
    import os
    import subprocess
    import sys
    import time

    env = {
        **os.environ,
        "WAREHOUSE_URI": platform.warehouse_uri,
        "DATALAKE_TENANT_QUERY_LIMIT_SECONDS": "2",
        "DATALAKE_TENANT_WATCHDOG_INTERVAL_SECONDS": "1",
    }
    watchdog = subprocess.Popen(
        [sys.executable, "-m", "datalake_dev.local.tenant_watchdog"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    tenant = login(cred)
    try:
        tenant.execute("SET statement_timeout = 0")
        began = time.monotonic()
        with pytest.raises(psycopg.OperationalError):
            tenant.execute("SELECT pg_sleep(60)")
        assert time.monotonic() - began < 20
        time.sleep(6)  # pg_terminate_backend(pid, 5000) returns, then the watchdog logs
    finally:
        tenant.close()
        watchdog.terminate()
        out, _ = watchdog.communicate(timeout=10)
    assert f"of {cred.username}: query ran past the limit" in out, out


def test_typed_tables_a_tenant_can_neither_write_nor_reach_others_nor_stall_other_organisations(
    cred, clean_platform, monkeypatch
):
    """The tenant's own typed schema: read-only for it, other organisations' schemas unreachable,
    and a lock it holds on its own typed table delays only its own organisation's refresh."""
    from datetime import timedelta

    from test_typed_tables import T0, Warehouse, payload

    from datalake.typed import refresh as typed

    other = "hostile-2"
    with connect(clean_platform) as admin:
        admin.autocommit = True
        wh = Warehouse(admin)
        wh.hour(
            "2026112008",
            [
                (
                    ORG,
                    "h-1",
                    "opportunity",
                    "createEntity",
                    T0,
                    payload("h-1", "opportunity", ORG, "H", T0),
                ),
                (
                    other,
                    "o-1",
                    "opportunity",
                    "createEntity",
                    T0,
                    payload("o-1", "opportunity", other, "O", T0, amount=1),
                ),
            ],
        )
        typed.refresh(admin)
        names = dict(
            admin.execute("SELECT org_id, schema_name FROM datalake_ops.typed_schemas").fetchall()
        )
        own, theirs = names[ORG], names[other]
        with login(cred) as tenant:
            tenant.execute("SET default_transaction_read_only = off")
            for statement in (
                f"INSERT INTO {own}.opportunity (entity_id) VALUES ('x')",
                f"UPDATE {own}.opportunity SET title = 'x'",
                f"DELETE FROM {own}._attributes",
                f"TRUNCATE {own}._relations",
                f"CREATE TABLE {own}.mine (x int)",
                f"ALTER TABLE {own}.opportunity ADD COLUMN x int",
                f"DROP TABLE {own}.opportunity",
                f"SELECT * FROM {theirs}.opportunity",
                f"SELECT * FROM {theirs}._attributes",
                "SELECT * FROM datalake_ops.typed_pending",
            ):
                with pytest.raises(psycopg.Error) as denied:
                    tenant.execute(statement)
                assert isinstance(
                    denied.value, (errors.InsufficientPrivilege, errors.ReadOnlySqlTransaction)
                ), (statement, denied.value)
            tenant.execute(f"SET search_path = {theirs}")
            with pytest.raises(errors.UndefinedTable):
                tenant.execute("SELECT * FROM opportunity")

            # The tenant keeps a transaction open on its own typed table; both organisations change.
            t1 = T0 + timedelta(hours=1)
            tenant.execute("BEGIN")
            tenant.execute(f"SELECT count(*) FROM {own}.opportunity")
            wh.hour(
                "2026112009",
                [
                    (
                        ORG,
                        "h-1",
                        "opportunity",
                        "updateEntity",
                        t1,
                        payload("h-1", "opportunity", ORG, "H", t1, new_attr=1),
                    ),
                    (
                        other,
                        "o-1",
                        "opportunity",
                        "updateEntity",
                        t1,
                        payload("o-1", "opportunity", other, "O", t1, amount=2),
                    ),
                ],
            )
            monkeypatch.setattr(typed, "LOCK_TIMEOUT", "1s")
            with pytest.raises(typed.RefreshBlocked) as blocked:
                typed.refresh(admin)
            assert blocked.value.blocked == [ORG]
            assert admin.execute(f"SELECT amount FROM {theirs}.opportunity").fetchone()[0] == 2
            tenant.execute("COMMIT")
        assert [r.org_id for r in typed.refresh(admin)] == [ORG]
        assert admin.execute(f"SELECT new_attr FROM {own}.opportunity").fetchone()[0] == 1
        for name in (own, theirs):
            admin.execute(f"DROP SCHEMA {name} CASCADE")
        admin.execute("DELETE FROM datalake_ops.typed_schemas")
