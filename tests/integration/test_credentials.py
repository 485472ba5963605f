"""Per-organisation credentials with REAL logins to the local PostgreSQL.

Rows of three organisations go into every tenant table; two of them get credentials (one has
two). Each credential logs in over TCP with its generated password and must see exactly its
organisation's rows, and nothing else whatever it tries.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

import psycopg
import pytest
from psycopg import errors
from tenants import login

from datalake import credentials
from datalake.credentials import TENANT_TABLES, CredentialError
from datalake.entity_schema import ENTITY_COLUMNS
from datalake.warehouse import connect

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "include" / "sql" / "examples"
DATALAKE = str(Path(sys.executable).parent / "datalake")

ORG_A, ORG_B, ORG_C = "739224", "org-b_2", "555"  # ORG_C has data but no credential
ORGS = (ORG_A, ORG_B, ORG_C)
DENIED = (errors.InsufficientPrivilege, errors.ReadOnlySqlTransaction)


# --- data ----------------------------------------------------------------------------------


def _ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _entity_row(org, n, entity, op, when, journey, created, schema="opportunity"):
    detail = {
        "entity": entity,
        "org": org,
        "operation": op,
        "payload": {
            "_id": entity,
            "_schema": schema,
            "_org": org,
            "_created_at": _ts(created),
            "source": {"type": "link", "title": journey},
        },
    }
    return {
        "id": f"evt-{org}-{n}",
        "detail-type": "EntityOperation",
        "operation": op,
        "source": "entity-api",
        "account": org,
        "time": _ts(when),
        "region": "eu-central-1",
        "activity_id": f"01J{org}{n:06d}",
        "entity_id": entity,
        "detail": json.dumps(detail, separators=(",", ":")),
        "schema": schema,
        "month": str(when.month),
        "year": str(when.year),
    }


def _entity_rows():
    now = datetime.now(timezone.utc).replace(microsecond=0)
    first = now.replace(day=1, hour=0, minute=0, second=0)
    last_month = datetime(
        now.year - (now.month == 1), (now.month - 2) % 12 + 1, 15, 9, tzinfo=timezone.utc
    )

    def at(h):
        return first.replace(hour=h)

    plan = {
        ORG_A: [
            ("a1", "createEntity", last_month, "Wallbox Journey", last_month, "opportunity"),
            ("a1", "updateEntity", at(1), "Wallbox Journey", last_month, "opportunity"),
            ("a2", "createEntity", at(2), "Energieausweis Journey", at(2), "opportunity"),
            ("a2", "deleteEntity", at(3), "Energieausweis Journey", at(2), "opportunity"),
            ("a3", "createEntity", at(4), "Wallbox Journey", at(4), "opportunity"),
            ("a4", "createEntity", at(5), "Wallbox Journey", at(5), "order"),
        ],
        ORG_B: [
            ("b1", "createEntity", at(1), "Energieausweis Journey", at(1), "opportunity"),
            ("b2", "createEntity", at(2), "Wallbox Journey", at(2), "opportunity"),
            ("b3", "createEntity", at(3), "Wallbox Journey", at(3), "opportunity"),
            ("b3", "deleteEntity", at(4), "Wallbox Journey", at(3), "opportunity"),
        ],
        ORG_C: [
            ("c1", "createEntity", at(1), "Secret Journey", at(1), "opportunity"),
            ("c2", "createEntity", at(2), "Secret Journey", at(2), "opportunity"),
        ],
    }
    rows = []
    for org, events in plan.items():
        for n, (entity, op, when, journey, created, schema) in enumerate(events):
            rows.append(_entity_row(org, n, f"{org}-{entity}", op, when, journey, created, schema))
    latest = {}
    for r in rows:
        if r["entity_id"] not in latest or r["time"] > latest[r["entity_id"]]["time"]:
            latest[r["entity_id"]] = r
    current = [r for r in latest.values() if r["operation"] != "deleteEntity"]
    return rows, current


WORKFLOW_COUNTS = {  # table -> rows per organisation (all different, so a leak changes a count)
    "workflowexecution": {ORG_A: 3, ORG_B: 2, ORG_C: 1},
    "workflowphases": {ORG_A: 4, ORG_B: 1, ORG_C: 2},
    "workflowtasks": {ORG_A: 5, ORG_B: 3, ORG_C: 1},
    "workflowcancellations": {ORG_A: 1, ORG_B: 2, ORG_C: 1},
    "workflowcontexts": {ORG_A: 2, ORG_B: 3, ORG_C: 1},
}
WORKFLOW_INSERT = {
    "workflowexecution": (
        "INSERT INTO epilot_datalake.workflowexecution (org_id, id, name, status) "
        "VALUES (%s, %s, 'wf', 'STARTED')"
    ),
    "workflowphases": (
        "INSERT INTO epilot_datalake.workflowphases (org_id, id, workflow_execution_id, position) "
        "VALUES (%s, %s, 'x', 1)"
    ),
    "workflowtasks": (
        "INSERT INTO epilot_datalake.workflowtasks (org_id, id, workflow_execution_id, enabled) "
        "VALUES (%s, %s, 'x', true)"
    ),
    "workflowcancellations": (
        "INSERT INTO epilot_datalake.workflowcancellations (org_id, workflow_execution_id) "
        "VALUES (%s, %s)"
    ),
    "workflowcontexts": (
        "INSERT INTO epilot_datalake.workflowcontexts (org_id, workflow_execution_id) "
        "VALUES (%s, %s)"
    ),
}


def _expected_counts(rows, current):
    counts = {org: {} for org in ORGS}
    for org in ORGS:
        counts[org]["entity_operations"] = sum(r["account"] == org for r in rows)
        counts[org]["current_entities"] = sum(r["account"] == org for r in current)
        for table, per_org in WORKFLOW_COUNTS.items():
            counts[org][table] = per_org[org]
    return counts


def _insert_entity_rows(conn, table, rows):
    cols = ", ".join(f'"{c}"' for c in ENTITY_COLUMNS)
    with conn.cursor() as cur:
        cur.executemany(
            f"INSERT INTO epilot_datalake.{table} ({cols}) "
            f"VALUES ({', '.join(['%s'] * len(ENTITY_COLUMNS))})",
            [[r[c] for c in ENTITY_COLUMNS] for r in rows],
        )


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def statement_logging(superuser, postgres_server, platform):
    """Every statement logged while the credentials are issued, to show no password is in the
    log."""
    pg, _ = postgres_server
    superuser.execute("ALTER SYSTEM SET log_statement = 'all'")
    superuser.execute("SELECT pg_reload_conf()")
    for _ in range(50):
        with connect(platform) as conn:
            if conn.execute("SHOW log_statement").fetchone()[0] == "all":
                break
        time.sleep(0.1)
    yield pg.log_file
    superuser.execute("ALTER SYSTEM RESET log_statement")
    superuser.execute("SELECT pg_reload_conf()")


@pytest.fixture(scope="module")
def data(platform):
    rows, current = _entity_rows()
    with connect(platform) as conn:
        for table, _ in TENANT_TABLES:
            conn.execute(f"DELETE FROM epilot_datalake.{table}")
        conn.execute("DELETE FROM epilot_datalake.entity_latest_operation")
        _insert_entity_rows(conn, "entity_operations", rows)
        _insert_entity_rows(conn, "current_entities", current)
        for table, per_org in WORKFLOW_COUNTS.items():
            with conn.cursor() as cur:
                cur.executemany(
                    WORKFLOW_INSERT[table],
                    [(org, f"{table}-{org}-{i}") for org, n in per_org.items() for i in range(n)],
                )
        conn.commit()
        for table, _ in TENANT_TABLES:
            conn.execute(f"ANALYZE epilot_datalake.{table}")
        conn.commit()
    return {"rows": rows, "current": current, "counts": _expected_counts(rows, current)}


@pytest.fixture(scope="module")
def creds(platform, data, statement_logging):
    issued = {
        "a1": credentials.generate(ORG_A, created_by="test-admin", settings=platform),
        "a2": credentials.generate(ORG_A, settings=platform),
        "b1": credentials.generate(ORG_B, created_by="test-admin", settings=platform),
    }
    yield issued
    for record in credentials.list_credentials(settings=platform):
        if record.active and record.username in {c.username for c in issued.values()}:
            credentials.revoke(record.username, settings=platform)


def denied(conn, statement, *args):
    with pytest.raises(psycopg.Error) as info:
        conn.execute(statement, *args).fetchall()
    return info.value


def org_column(table):
    return dict(TENANT_TABLES)[table]


# --- tests -----------------------------------------------------------------------------------


def test_each_credential_sees_exactly_its_organisation_in_every_table(creds, data, platform):
    counts = data["counts"]
    with connect(platform) as admin:  # the pipelines' role still sees every row
        for table, _ in TENANT_TABLES:
            assert admin.execute(f"SELECT count(*) FROM epilot_datalake.{table}").fetchone()[
                0
            ] == sum(counts[org][table] for org in ORGS)
    for key, org in (("a1", ORG_A), ("a2", ORG_A), ("b1", ORG_B)):
        with login(creds[key]) as conn:
            assert (
                conn.execute("SELECT current_user, session_user").fetchone()
                == (creds[key].username,) * 2
            )
            for table, column in TENANT_TABLES:
                got = conn.execute(
                    f"SELECT count(*), array_agg(DISTINCT {column}) "
                    f'FROM "epilot_datalake"."epilot_datalake".{table}'
                ).fetchone()
                assert got[0] == counts[org][table], (key, table)
                assert got[1] == [org], (key, table)


def test_crafted_queries_return_nothing_of_another_organisation(creds, data, superuser):
    b = creds["b1"]
    with login(b) as conn:
        # another organisation's id in a WHERE, an OR, a UNION, a subquery
        assert (
            conn.execute(
                "SELECT count(*) FROM entity_operations WHERE account = %s", (ORG_A,)
            ).fetchone()[0]
            == 0
        )
        assert (
            conn.execute(
                "SELECT count(*) FROM entity_operations WHERE account <> %s OR 1 = 1", (ORG_B,)
            ).fetchone()[0]
            == data["counts"][ORG_B]["entity_operations"]
        )
        union = conn.execute(
            "SELECT account FROM entity_operations UNION SELECT account FROM current_entities "
            "UNION SELECT org_id FROM workflowexecution UNION SELECT org_id FROM workflowtasks "
            "UNION SELECT org_id FROM workflowphases "
            "UNION SELECT org_id FROM workflowcancellations "
            "UNION SELECT org_id FROM workflowcontexts"
        ).fetchall()
        assert union == [(ORG_B,)]
        assert (
            conn.execute(
                "SELECT count(*) FROM workflowexecution w WHERE w.org_id IN "
                "(SELECT account FROM entity_operations WHERE account = %s)",
                (ORG_A,),
            ).fetchone()[0]
            == 0
        )
        with conn.cursor().copy(
            "COPY epilot_datalake.entity_operations (account) TO STDOUT"
        ) as copy:
            copied = b"".join(bytes(block) for block in copy)
        assert set(copied.split()) == {ORG_B.encode()}
        # the mapping, the registry and the internals are out of reach
        for statement in (
            "SELECT datalake_ops.current_org()",
            "SELECT * FROM datalake_ops.credentials",
            "SELECT * FROM datalake_ops.run_manifest",
            "SELECT * FROM epilot_datalake.entity_latest_operation",
            "SELECT rolname, rolpassword FROM pg_authid",
            "SELECT pg_read_file('postgresql.conf')",
            "SELECT * FROM pg_ls_dir('.')",
            (
                "CREATE FUNCTION pg_temp.current_org() RETURNS text LANGUAGE sql "
                "AS $$ SELECT '739224' $$"
            ),
            "SELECT lo_import('/etc/passwd')",
        ):
            assert isinstance(denied(conn, statement), (*DENIED, errors.UndefinedFunction)), (
                statement
            )
        # a spoofed current_org() earlier on the search path changes nothing: the policy holds the
        # function's OID
        conn.execute("SET search_path = pg_temp, epilot_datalake, redshift_compat")
        assert (
            conn.execute("SELECT count(*) FROM entity_operations").fetchone()[0]
            == data["counts"][ORG_B]["entity_operations"]
        )
        # no becoming someone else
        for statement in (
            "SET ROLE datalake_admin",
            "SET ROLE datalake_tenant",
            f'SET ROLE "{creds["a1"].username}"',
            "SET ROLE postgres",
            f'SET SESSION AUTHORIZATION "{creds["a1"].username}"',
            "SET SESSION AUTHORIZATION datalake_admin",
        ):
            assert isinstance(denied(conn, statement), errors.InsufficientPrivilege), statement
        assert conn.execute("SELECT current_user").fetchone()[0] == b.username
        # switching row security off makes a filtered query fail rather than see more
        conn.execute("SET row_security = off")
        assert isinstance(
            denied(conn, "SELECT count(*) FROM entity_operations"), errors.InsufficientPrivilege
        )
        conn.execute("RESET row_security")
        # statistics would show other organisations' values: hidden for tables under RLS
        assert (
            conn.execute(
                "SELECT count(*) FROM pg_stats WHERE schemaname = 'epilot_datalake'"
            ).fetchone()[0]
            == 0
        )
    assert (
        superuser.execute(
            "SELECT count(*) FROM pg_stats WHERE schemaname = 'epilot_datalake' "
            "AND tablename = 'entity_operations'"
        ).fetchone()[0]
        > 0
    )


def test_a_credential_cannot_write_or_create(creds, data, platform):
    a = creds["a1"]
    with login(a) as conn:
        assert conn.execute("SHOW default_transaction_read_only").fetchone()[0] == "on"
        statements = [
            "INSERT INTO workflowexecution (org_id, id) VALUES ('739224', 'mine')",
            "UPDATE entity_operations SET account = 'x'",
            "DELETE FROM current_entities",
            "TRUNCATE workflowtasks",
            "CREATE TABLE epilot_datalake.mine (x int)",
            "CREATE TABLE public.mine (x int)",
            "CREATE TEMP TABLE mine (x int)",
            "CREATE SCHEMA mine",
            "CREATE VIEW epilot_datalake.everything AS SELECT * FROM entity_operations",
            "ALTER TABLE entity_operations DISABLE ROW LEVEL SECURITY",
            "DROP POLICY datalake_tenant_isolation ON entity_operations",
            "INSERT INTO datalake_ops.credentials (username, org_id) VALUES ('x', 'y')",
        ]
        for statement in statements:
            assert isinstance(denied(conn, statement), DENIED), statement
        # read-only is only the first line: with it switched off, the privileges still refuse
        conn.execute("SET default_transaction_read_only = off")
        for statement in statements:
            assert isinstance(denied(conn, statement), errors.InsufficientPrivilege), statement
        # GRANT without grant option is a warning in PostgreSQL, and grants nothing
        conn.execute("GRANT SELECT ON entity_operations, current_entities TO PUBLIC")
        assert isinstance(
            denied(conn, "GRANT datalake_tenant TO datalake_admin"), errors.InsufficientPrivilege
        )
    with connect(platform) as admin:
        assert not admin.execute(
            "SELECT has_table_privilege('public', 'epilot_datalake.entity_operations', 'SELECT')"
            " OR has_table_privilege('public', 'epilot_datalake.current_entities', 'SELECT')"
        ).fetchone()[0]
        assert credentials.isolation_violations(admin) == []
    with connect(platform) as admin:
        for table, _ in TENANT_TABLES:
            assert admin.execute(f"SELECT count(*) FROM epilot_datalake.{table}").fetchone()[
                0
            ] == sum(data["counts"][org][table] for org in ORGS)
        assert admin.execute("SELECT to_regclass('epilot_datalake.mine')").fetchone()[0] is None


def _example_1_expected(rows, org):
    expected = Counter()
    for r in rows:
        if (
            r["account"] == org
            and r["schema"] == "opportunity"
            and r["operation"] == "createEntity"
        ):
            payload = json.loads(r["detail"])["payload"]
            created = datetime.strptime(payload["_created_at"], "%Y-%m-%dT%H:%M:%S.000Z")
            expected[(payload["source"]["title"], created.year, created.month)] += 1
    return dict(expected)


def _example_2_expected(rows, org):
    now = datetime.now(timezone.utc)
    by_entity = defaultdict(list)
    for r in rows:
        if (
            r["account"] == org
            and r["schema"] == "opportunity"
            and r["year"] == str(now.year)
            and r["month"] == str(now.month)
        ):
            by_entity[r["entity_id"]].append(r)
    return {
        e for e, rs in by_entity.items() if not any(r["operation"] == "deleteEntity" for r in rs)
    }


def test_docs_examples_run_unchanged_under_a_tenant_credential(creds, data, platform):
    from datalake.query import run_query

    example_1 = (EXAMPLES / "docs_example_1.sql").read_text()
    example_2 = (EXAMPLES / "docs_example_2.sql").read_text()
    for key, org in (("a1", ORG_A), ("b1", ORG_B)):
        uri = creds[key].uri()
        got = run_query(example_1, platform, uri=uri)
        assert {(r[0], int(r[1]), int(r[2])): r[3] for r in got.rows} == _example_1_expected(
            data["rows"], org
        )
        got = run_query(example_2, platform, uri=uri)
        entities = {r[0] for r in got.rows}
        assert entities == _example_2_expected(data["rows"], org) and entities
        assert all(json.loads(r[2])["org"] == org for r in got.rows)
    # the admin (no RLS) sees the other organisations too: the filter is the credential's, not the
    # data's
    admin = {r[0] for r in run_query(example_2, platform).rows}
    assert admin == set().union(*(_example_2_expected(data["rows"], org) for org in ORGS))


def test_revoke_ends_the_login_and_the_open_session(creds, data, platform):
    a2, a1 = creds["a2"], creds["a1"]
    session = login(a2)
    assert (
        session.execute("SELECT count(*) FROM entity_operations").fetchone()[0]
        == data["counts"][ORG_A]["entity_operations"]
    )
    record = credentials.revoke(a2.username, revoked_by="test-admin", settings=platform)
    assert (
        not record.active and record.revoked_by == "test-admin" and record.sessions_terminated == 1
    )
    with pytest.raises(psycopg.OperationalError):
        session.execute("SELECT count(*) FROM entity_operations").fetchone()
    session.close()
    with pytest.raises(psycopg.OperationalError):
        login(a2).close()
    # the organisation's other credential is untouched
    with login(a1) as conn:
        assert (
            conn.execute("SELECT count(*) FROM entity_operations").fetchone()[0]
            == data["counts"][ORG_A]["entity_operations"]
        )
    listed = {r.username: r for r in credentials.list_credentials(ORG_A, settings=platform)}
    assert listed[a2.username].status == "revoked" and listed[a1.username].status == "active"
    # a second revoke: a clear error, and the first revocation's time stays
    with pytest.raises(CredentialError, match="already revoked"):
        credentials.revoke(a2.username, settings=platform)
    assert {
        r.username: r.revoked_at for r in credentials.list_credentials(ORG_A, settings=platform)
    } == {u: r.revoked_at for u, r in listed.items()}


def _state(platform):
    with connect(platform) as conn:
        return (
            conn.execute(
                "SELECT username, org_id, revoked_at FROM datalake_ops.credentials ORDER BY 1"
            ).fetchall(),
            conn.execute("SELECT rolname, rolcanlogin FROM pg_roles ORDER BY 1").fetchall(),
            conn.execute(
                "SELECT count(*) FROM pg_class WHERE relnamespace = 'epilot_datalake'::regnamespace"
            ).fetchone(),
        )


def test_bad_input_is_a_clear_error_and_changes_nothing(creds, platform):
    before = _state(platform)
    with pytest.raises(CredentialError, match="invalid organization id"):
        credentials.generate("x; DROP TABLE epilot_datalake.entity_operations", settings=platform)
    with pytest.raises(CredentialError, match="invalid organization id"):
        credentials.generate("739224' OR '1'='1", settings=platform)
    with pytest.raises(CredentialError, match="invalid created-by"):
        credentials.generate(ORG_A, created_by="x" * 1000, settings=platform)
    with pytest.raises(CredentialError, match="unknown credential"):
        credentials.revoke("dl_000000000000", settings=platform)
    with pytest.raises(CredentialError, match="unknown credential"):
        credentials.revoke("datalake_admin", settings=platform)
    with pytest.raises(CredentialError, match="unknown credential"):
        credentials.revoke('dl_1"; DROP ROLE datalake_admin; --', settings=platform)
    with pytest.raises(CredentialError, match="invalid organization id"):
        credentials.list_credentials("a b", settings=platform)
    assert _state(platform) == before
    with connect(platform) as conn:  # the admin still logs in and owns its tables
        assert (
            conn.execute("SELECT count(*) FROM epilot_datalake.entity_operations").fetchone()[0] > 0
        )


def test_the_password_is_stored_and_logged_nowhere(creds, superuser, statement_logging, platform):
    passwords = [c.password for c in creds.values()]
    with connect(platform) as conn:
        registry = json.dumps(
            conn.execute("SELECT * FROM datalake_ops.credentials").fetchall(), default=str
        )
        columns = [
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'datalake_ops' "
                "AND table_name = 'credentials'"
            ).fetchall()
        ]
    assert columns == ["username", "org_id", "created_by", "created_at", "revoked_at", "revoked_by"]
    stored = superuser.execute(
        "SELECT rolname, rolpassword FROM pg_authid WHERE rolname = ANY(%s)",
        ([c.username for c in creds.values()],),
    ).fetchall()
    log = statement_logging.read_text(errors="replace")
    assert (
        "CREATE ROLE" in log and "SCRAM-SHA-256$4096:" in log
    )  # statements were logged, as verifiers
    for password in passwords:
        assert password not in registry
        assert password not in log
        assert all(password not in (v or "") for _, v in stored)
    for name, verifier in stored:
        if name == creds["a1"].username:
            assert verifier.startswith("SCRAM-SHA-256$4096:")


def test_isolation_survives_recreated_tables_and_views(creds, data, platform):
    from datalake.sqlfiles import read_sql
    from datalake.warehouse_init import apply_local_schema

    b = creds["b1"]
    current_b = data["counts"][ORG_B]["current_entities"]
    with connect(platform, autocommit=True) as admin:
        policies = admin.execute("SELECT oid FROM pg_policy ORDER BY 1").fetchall()
        apply_local_schema(admin)  # idempotent: nothing re-created when already as wanted
        assert admin.execute("SELECT oid FROM pg_policy ORDER BY 1").fetchall() == policies
        # the table is dropped and rebuilt (as a migration would): it comes back without grants
        with admin.transaction():
            admin.execute("DROP TABLE epilot_datalake.current_entities")
            admin.execute(read_sql("warehouse/ddl.sql"))
            _insert_entity_rows(admin, "current_entities", data["current"])
    with login(b) as conn:
        assert isinstance(
            denied(conn, "SELECT count(*) FROM current_entities"), errors.InsufficientPrivilege
        )
    with connect(platform, autocommit=True) as admin:
        apply_local_schema(admin)  # what `datalake init` does
        with admin.transaction():
            admin.execute(
                "CREATE VIEW epilot_datalake.test_active_opportunities "
                "WITH (security_invoker = true) AS "
                "SELECT * FROM epilot_datalake.current_entities WHERE schema = 'opportunity'"
            )
            admin.execute("CREATE TABLE epilot_datalake.test_later_table (account varchar(64))")
            admin.execute(
                "INSERT INTO epilot_datalake.test_later_table VALUES ('739224'), ('org-b_2')"
            )
        apply_local_schema(admin)
    opportunities_b = sum(
        r["account"] == ORG_B and r["schema"] == "opportunity" for r in data["current"]
    )
    with login(b) as conn:
        assert conn.execute(
            "SELECT count(*), array_agg(DISTINCT account) FROM current_entities"
        ).fetchone() == (current_b, [ORG_B])
        assert conn.execute(
            "SELECT count(*), array_agg(DISTINCT account) FROM test_active_opportunities"
        ).fetchone() == (opportunities_b, [ORG_B])
        # a table created later is not granted to tenants
        assert isinstance(
            denied(conn, "SELECT * FROM test_later_table"), errors.InsufficientPrivilege
        )
    # the view is rebuilt: still granted after init, still filtered
    with connect(platform, autocommit=True) as admin:
        with admin.transaction():
            admin.execute("DROP VIEW epilot_datalake.test_active_opportunities")
            admin.execute(
                "CREATE VIEW epilot_datalake.test_active_opportunities "
                "WITH (security_invoker = true) AS "
                "SELECT entity_id, account FROM epilot_datalake.current_entities"
            )
        apply_local_schema(admin)
    with login(b) as conn:
        assert conn.execute(
            "SELECT count(*), array_agg(DISTINCT account) FROM test_active_opportunities"
        ).fetchone() == (current_b, [ORG_B])
    # someone grants a view that reads as its owner, and a table without RLS: init fails loudly
    with connect(platform, autocommit=True) as admin:
        with admin.transaction():
            admin.execute(
                "CREATE VIEW epilot_datalake.test_owner_view AS "
                "SELECT * FROM epilot_datalake.current_entities"
            )
            admin.execute(
                "GRANT SELECT ON epilot_datalake.test_owner_view, epilot_datalake.test_later_table "
                "TO datalake_tenant"
            )
        problems = dict(credentials.isolation_violations(admin))
        assert (
            "view granted to tenants without security_invoker"
            in problems["epilot_datalake.test_owner_view"]
        )
        assert "without row-level security" in problems["epilot_datalake.test_later_table"]
        with pytest.raises(psycopg.Error, match="tenant isolation violated"):
            apply_local_schema(admin)
        with pytest.raises(CredentialError, match="tenant isolation is broken"):
            credentials.generate(ORG_B, settings=platform)
        with admin.transaction():
            admin.execute("DROP VIEW epilot_datalake.test_owner_view")
            admin.execute("DROP VIEW epilot_datalake.test_active_opportunities")
            admin.execute("DROP TABLE epilot_datalake.test_later_table")
        apply_local_schema(admin)
        assert credentials.isolation_violations(admin) == []


def _cli(*args):
    return subprocess.run(
        [DATALAKE, "credentials", *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )


def test_cli_generate_list_revoke(platform, data, creds):
    out = _cli("generate", "--org", ORG_B, "--created-by", "cli-test")
    assert out.returncode == 0, out.stderr
    fields = dict(line.split(":", 1) for line in out.stdout.splitlines()[:9])
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    username, password = fields["username"], fields["password"]
    host, port = fields["endpoint"].rsplit(":", 1)
    assert (
        fields["database"] == "epilot_datalake"
        and fields["organization"] == ORG_B
        and "SSL" in out.stdout
    )
    assert out.stdout.count(password) == 1 and password not in out.stderr
    with psycopg.connect(
        host=host,
        port=int(port),
        user=username,
        password=password,
        dbname=fields["database"],
        connect_timeout=5,
    ) as conn:
        assert (
            conn.execute("SELECT count(*) FROM workflowtasks").fetchone()[0]
            == WORKFLOW_COUNTS["workflowtasks"][ORG_B]
        )

    listed = _cli("list", "--org", ORG_B, "--format", "json")
    assert listed.returncode == 0, listed.stderr
    rows = {r["username"]: r for r in json.loads(listed.stdout)}
    assert rows[username]["status"] == "active" and rows[username]["created_by"] == "cli-test"
    assert creds["b1"].username in rows and creds["a1"].username not in rows
    assert password not in listed.stdout and "password" not in listed.stdout
    table = _cli("list")
    assert (
        table.returncode == 0 and username in table.stdout and creds["a1"].username in table.stdout
    )

    revoked = _cli("revoke", username, "--revoked-by", "cli-test")
    assert revoked.returncode == 0, revoked.stderr
    assert f"revoked {username} (organization {ORG_B})" in revoked.stdout
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(
            host=host,
            port=int(port),
            user=username,
            password=password,
            dbname="epilot_datalake",
            connect_timeout=5,
        ).close()

    again = _cli("revoke", username)
    assert (
        again.returncode == 2
        and "already revoked" in again.stderr
        and len(again.stderr.strip().splitlines()) == 1
    )
    for args, message in (
        (("generate", "--org", "x; DROP TABLE"), "invalid organization id"),
        (("revoke", "dl_000000000000"), "unknown credential"),
        (("revoke", "datalake_admin"), "unknown credential"),
    ):
        bad = _cli(*args)
        assert (
            bad.returncode == 2
            and message in bad.stderr
            and len(bad.stderr.strip().splitlines()) == 1
        ), bad.stderr
    assert _cli("generate").returncode == 2  # --org is required
