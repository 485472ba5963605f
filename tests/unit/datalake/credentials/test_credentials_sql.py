"""The credentials SQL as rendered: Redshift (no Redshift here: the text is checked) and the
local PostgreSQL isolation script's coverage of the tenant tables."""

from __future__ import annotations

import re

import pytest

from datalake import credentials
from datalake.credentials import (
    REDSHIFT_POLICIES,
    TENANT_TABLES,
    CredentialError,
    render_isolation,
    render_redshift_create_user,
    render_redshift_isolation,
    render_redshift_revoke_user,
)
from datalake.credentials import rules as credentials_rules
from datalake.sqlfiles import read_sql
from datalake.sqlfiles import statements as _statements


def statements(sql: str) -> list[str]:
    """The statements without their leading comments."""
    import sqlparse

    return [sqlparse.format(s, strip_comments=True).strip() for s in _statements(sql)]


PASSWORD = "Abcdefgh1-ijklmnopQRSTuvwx.yz0123"
USERNAME = "dl_0123456789ab"


def _ddl_tables(sql: str) -> set[str]:
    return {
        m.lower() for m in re.findall(r"CREATE TABLE IF NOT EXISTS epilot_datalake\.(\w+)", sql)
    }


def test_tenant_tables_are_the_seven_spec_tables_of_both_ddls():
    names = {t for t, _ in TENANT_TABLES}
    assert names == {
        "entity_operations",
        "current_entities",
        "workflowexecution",
        "workflowphases",
        "workflowtasks",
        "workflowcancellations",
        "workflowcontexts",
    }
    for ddl in ("warehouse/ddl.sql", "redshift/ddl.sql"):
        assert names <= _ddl_tables(read_sql(ddl))
        assert "entity_latest_operation" in _ddl_tables(read_sql(ddl))  # internal, never granted
    # every tenant table has its organisation column in the local DDL
    ddl = read_sql("warehouse/ddl.sql")
    for table, column in TENANT_TABLES:
        body = re.search(
            rf"CREATE TABLE IF NOT EXISTS epilot_datalake\.{table} \((.*?)\n\);", ddl, re.S | re.I
        )
        assert body and re.search(rf"^\s+{column}\s", body.group(1), re.M), (table, column)


def test_redshift_create_user_sends_the_md5_form_never_the_password():
    sql = render_redshift_create_user(USERNAME, PASSWORD)
    assert PASSWORD not in sql
    import hashlib

    digest = "md5" + hashlib.md5((PASSWORD + USERNAME).encode()).hexdigest()
    create, grant, timeout = statements(sql)
    assert (
        timeout == f'ALTER USER "{USERNAME}" SET statement_timeout '
        f"TO {credentials_rules.TENANT_QUERY_LIMIT_SECONDS * 1000}"
    )
    assert re.fullmatch(
        rf'CREATE USER "{USERNAME}" PASSWORD \'{digest}\'\s+'
        rf"NOCREATEDB NOCREATEUSER SYSLOG ACCESS RESTRICTED "
        rf"CONNECTION LIMIT {credentials_rules.CONNECTION_LIMIT}\s+"
        rf"SESSION TIMEOUT {credentials_rules.TENANT_QUERY_LIMIT_SECONDS}",
        create,
    )
    assert grant == f'GRANT ROLE datalake_tenant TO "{USERNAME}"'


def test_redshift_create_user_and_revoke_refuse_what_is_not_a_generated_name():
    for bad in (
        'dl_0123"; DROP USER x; --',
        "datalake_admin",
        "DL_0123456789AB",
        "dl_0123456789ab ",
    ):
        with pytest.raises(CredentialError):
            render_redshift_create_user(bad, PASSWORD)
        with pytest.raises(CredentialError):
            render_redshift_revoke_user(bad)
    with pytest.raises(CredentialError):
        render_redshift_create_user(USERNAME, "no-digits-or-upper")


def test_redshift_revoke_disables_the_password_and_drops_the_role():
    stmts = statements(render_redshift_revoke_user(USERNAME))
    assert stmts == [
        f'ALTER USER "{USERNAME}" PASSWORD DISABLE',
        f'REVOKE ROLE datalake_tenant FROM "{USERNAME}"',
    ]
    # sessions are listed after the commit, from the table the cluster kind has
    assert "stv_sessions" in read_sql("redshift/credentials/open_sessions.sql")
    serverless = read_sql("redshift/credentials/open_sessions_serverless.sql")
    assert "sys_session_history" in serverless and "stv_" not in serverless


def test_redshift_isolation_policies_attachments_rls_and_grants():
    sql = render_redshift_isolation("etl_user")
    stmts = [" ".join(s.split()) for s in statements(sql)]
    for column, policy in REDSHIFT_POLICIES.items():
        create = [s for s in stmts if s.startswith(f"CREATE RLS POLICY {policy} ")]
        assert len(create) == 1
        assert create[0] == (
            f"CREATE RLS POLICY {policy} WITH ({column} VARCHAR(64)) AS t USING (t.{column} IN "
            "( SELECT c.org_id FROM datalake_ops.credentials c "
            "WHERE c.username = current_user AND c.revoked_at IS NULL ))"
        )
        assert f"DROP RLS POLICY IF EXISTS {policy} CASCADE" in stmts
        assert f"GRANT SELECT ON TABLE datalake_ops.credentials TO RLS POLICY {policy}" in stmts
        # dropped before it is created, created before it is attached
        assert stmts.index(f"DROP RLS POLICY IF EXISTS {policy} CASCADE") < stmts.index(create[0])
    for table, column in TENANT_TABLES:
        policy = REDSHIFT_POLICIES[column]
        attach = f"ATTACH RLS POLICY {policy} ON epilot_datalake.{table} TO ROLE datalake_tenant"
        assert attach in stmts
        assert f"ALTER TABLE epilot_datalake.{table} ROW LEVEL SECURITY ON" in stmts
        assert f"GRANT SELECT ON epilot_datalake.{table} TO ROLE datalake_tenant" in stmts
        assert stmts.index(
            f"CREATE RLS POLICY {policy} " + create_tail(stmts, policy)
        ) < stmts.index(attach)
    grants = [s for s in stmts if s.startswith("GRANT ")]
    # tenants get SELECT on the seven tables and USAGE on epilot_datalake, nothing else
    tenant_grants = [s for s in grants if s.endswith("TO ROLE datalake_tenant")]
    assert sorted(tenant_grants) == sorted(
        [f"GRANT SELECT ON epilot_datalake.{t} TO ROLE datalake_tenant" for t, _ in TENANT_TABLES]
        + ["GRANT USAGE ON SCHEMA epilot_datalake TO ROLE datalake_tenant"]
    )
    assert not any("entity_latest_operation" in s and s.startswith("GRANT") for s in stmts)
    assert not any(
        "datalake_ops" in s and s.startswith("GRANT") and "RLS POLICY" not in s for s in stmts
    )
    assert "REVOKE ALL ON SCHEMA datalake_ops FROM ROLE datalake_tenant" in stmts
    assert (
        "ALTER DEFAULT PRIVILEGES IN SCHEMA epilot_datalake "
        "REVOKE ALL ON TABLES FROM ROLE datalake_tenant" in stmts
    )
    # the pipelines' user reads and loads every row
    assert "GRANT IGNORE RLS TO ROLE datalake_pipeline" in stmts
    assert 'GRANT ROLE datalake_pipeline TO "etl_user"' in stmts
    assert 'REVOKE TEMP ON DATABASE "epilot_datalake" FROM PUBLIC' in stmts
    assert "{{" not in sql and "{%" not in sql


def create_tail(stmts: list[str], policy: str) -> str:
    return [s for s in stmts if s.startswith(f"CREATE RLS POLICY {policy} ")][0][
        len(f"CREATE RLS POLICY {policy} ") :
    ]


def test_redshift_isolation_refuses_an_unsafe_pipeline_user():
    with pytest.raises(CredentialError):
        render_redshift_isolation('etl"; GRANT ROLE datalake_pipeline TO "x')


def test_redshift_roles_and_registry_sql():
    assert statements(read_sql("redshift/credentials/roles.sql")) == [
        "CREATE ROLE datalake_tenant",
        "CREATE ROLE datalake_pipeline",
    ]
    registry = re.search(
        r"CREATE TABLE IF NOT EXISTS datalake_ops\.credentials \((.*?)\n\);",
        render_redshift_isolation("etl"),
        re.S,
    ).group(1)
    columns = [
        line.split()[0]
        for line in registry.splitlines()
        if line.strip() and not line.strip().startswith("PRIMARY")
    ]
    assert columns == ["username", "org_id", "created_by", "created_at", "revoked_at", "revoked_by"]
    assert "password" not in registry.lower()


def test_redshift_sql_parses_where_sqlglot_knows_the_statement():
    import sqlglot

    sql = render_redshift_create_user(USERNAME, PASSWORD) + render_redshift_revoke_user(USERNAME)
    for stmt in statements(sql):
        if stmt.startswith("SELECT"):
            sqlglot.parse_one(stmt, read="redshift")
    for name in (
        "registry_insert.sql",
        "registry_revoke.sql",
        "registry_get.sql",
        "existing_roles.sql",
    ):
        for stmt in statements(read_sql(f"redshift/credentials/{name}")):
            sqlglot.parse_one(
                stmt.replace("%(username)s", "'u'")
                .replace("%(org_id)s", "'o'")
                .replace("%(created_by)s", "NULL")
                .replace("%(revoked_by)s", "NULL"),
                read="redshift",
            )


def test_local_isolation_covers_every_tenant_table_with_its_org_column():
    sql = render_isolation()
    for table, column in TENANT_TABLES:
        assert f"('{table}', '{column}')" in sql
    assert "{{" not in sql and "{%" not in sql
    assert "security_invoker" in sql and "RAISE EXCEPTION 'tenant isolation violated" in sql
    registry = re.search(
        r"CREATE TABLE IF NOT EXISTS datalake_ops\.credentials \((.*?)\n\);", sql, re.S
    ).group(1)
    assert "password" not in registry.lower()


def test_local_create_user_composes_identifier_and_verifier_only():
    from psycopg import sql

    from datalake.credentials.postgres import composed_statements

    parts = composed_statements(
        "credentials/create_user.sql",
        username=sql.Identifier('dl_"x'),
        verifier=sql.Literal("SCRAM-SHA-256$4096:c2FsdA==$a:b"),
        connection_limit=sql.Literal(15),
    )
    import sqlparse

    text = [sqlparse.format(p.as_string(None), strip_comments=True).strip() for p in parts]
    assert text[0].startswith('CREATE ROLE "dl_""x" LOGIN INHERIT NOSUPERUSER')
    assert text[0].endswith("CONNECTION LIMIT 15 PASSWORD 'SCRAM-SHA-256$4096:c2FsdA==$a:b'")
    assert text[1] == 'ALTER ROLE "dl_""x" SET default_transaction_read_only = on'
    assert text[2] == 'GRANT datalake_tenant TO "dl_""x" WITH INHERIT TRUE, SET FALSE'


class _FakeConn:
    """Records what would be sent to Redshift."""

    def __init__(self, rows=None):
        self.sent = []
        self.rows = rows or {}

    def execute(self, statement, params=None):
        self.sent.append((str(statement), params))
        conn = self

        class _Cursor:
            def fetchall(self):
                return conn.rows.get("all", [])

            def fetchone(self):
                return conn.rows.get("one")

        return _Cursor()

    def transaction(self):
        from contextlib import nullcontext

        return nullcontext()


def _redshift_settings():
    from datalake.config import Settings

    return Settings(
        None,
        "l",
        "k",
        "redshift://etl:pw@c.abc.eu-central-1.redshift.amazonaws.com:5439/epilot_datalake",
        "http://x",
    )


def _fake_connect(conn):
    from contextlib import contextmanager

    @contextmanager
    def connect(settings=None, **kw):
        yield conn

    return connect


def test_redshift_generate_sends_only_the_hash_and_records_no_password(monkeypatch):
    conn = _FakeConn()
    monkeypatch.setattr("datalake.warehouse.connect", _fake_connect(conn))
    granted = []  # the typed schema's grants run through the Redshift double in the integration
    monkeypatch.setattr(
        "datalake.typed.refresh.open_typed_schema",
        lambda conn, org_id, username: granted.append((org_id, username)),
    )
    cred = credentials.generate("739224", created_by="ops", settings=_redshift_settings())
    assert granted == [("739224", cred.username)]
    assert cred.ssl_required and cred.endpoint == "c.abc.eu-central-1.redshift.amazonaws.com:5439"
    sent = repr(conn.sent)
    assert cred.password not in sent
    assert credentials.redshift_md5_password(cred.password, cred.username) in sent
    insert = [p for s, p in conn.sent if "INSERT INTO datalake_ops.credentials" in s]
    assert insert == [{"username": cred.username, "org_id": "739224", "created_by": "ops"}]


def test_redshift_revoke_checks_the_registry_first(monkeypatch):
    from datetime import datetime, timezone

    settings = _redshift_settings()
    conn = _FakeConn()
    monkeypatch.setattr("datalake.warehouse.connect", _fake_connect(conn))
    with pytest.raises(CredentialError, match="unknown credential"):
        credentials.revoke(USERNAME, settings=settings)
    assert not any("ALTER USER" in s for s, _ in conn.sent)
    conn = _FakeConn(
        {
            "one": (
                USERNAME,
                "739224",
                None,
                datetime.now(timezone.utc),
                datetime.now(timezone.utc),
                None,
            )
        }
    )
    monkeypatch.setattr("datalake.warehouse.connect", _fake_connect(conn))
    with pytest.raises(CredentialError, match="already revoked"):
        credentials.revoke(USERNAME, settings=settings)
    assert not any("ALTER USER" in s for s, _ in conn.sent)
    conn = _FakeConn({"one": (USERNAME, "739224", None, datetime.now(timezone.utc), None, None)})
    monkeypatch.setattr("datalake.warehouse.connect", _fake_connect(conn))
    credentials.revoke(USERNAME, revoked_by="ops", settings=settings)
    sent = [" ".join(statements(s)[0].split()) if statements(s) else s for s, _ in conn.sent]
    assert f'ALTER USER "{USERNAME}" PASSWORD DISABLE' in sent
    assert any(s.startswith("UPDATE datalake_ops.credentials") for s in sent)


def test_apply_redshift_isolation_creates_missing_roles_once():
    conn = _FakeConn({"all": [("datalake_tenant",)], "one": ("etl", "epilot_datalake")})
    credentials.apply_redshift_isolation(conn)
    sent = [" ".join(statements(s)[0].split()) for s, _ in conn.sent if statements(s)]
    assert "CREATE ROLE datalake_pipeline" in sent and "CREATE ROLE datalake_tenant" not in sent
    assert sent.index("CREATE ROLE datalake_pipeline") < sent.index(
        "GRANT IGNORE RLS TO ROLE datalake_pipeline"
    )
    roles = [("datalake_tenant",), ("datalake_pipeline",)]
    conn = _FakeConn({"all": roles, "one": ("etl", "epilot_datalake")})
    credentials.apply_redshift_isolation(conn)
    assert not any(st.startswith("CREATE ROLE") for s, _ in conn.sent for st in statements(s))


def test_apply_redshift_isolation_grants_the_pipeline_role_to_the_session_user_and_database():
    """The user the connection string names is not who Redshift says the session is (IAM
    connections map etl to IAMR:etl); the pipeline role and TEMP go to current_user, in
    current_database()."""
    roles = [("datalake_tenant",), ("datalake_pipeline",)]
    conn = _FakeConn({"all": roles, "one": ("IAMR:etl", "analytics")})
    credentials.apply_redshift_isolation(conn)
    sent = [" ".join(st.split()) for s, _ in conn.sent for st in statements(s)]
    assert sent[0] == "SELECT current_user, current_database()"
    assert 'GRANT ROLE datalake_pipeline TO "IAMR:etl"' in sent
    assert 'GRANT TEMP ON DATABASE "analytics" TO "IAMR:etl"' in sent


def test_redshift_identifiers_accept_iam_users_and_refuse_anything_that_could_close_the_quotes():
    assert credentials.redshift_identifier("IAMR:etl-role@corp") == '"IAMR:etl-role@corp"'
    assert credentials.redshift_identifier("IAM:alice") == '"IAM:alice"'
    for bad in ('IAMR:x"; DROP TABLE t; --', "IAMR:", "IAMX:etl", "IAMR:a b", "1abc", "a" * 128):
        with pytest.raises(CredentialError):
            credentials.redshift_identifier(bad)


def test_redshift_isolation_takes_iam_roles_away_from_tenants_and_languages_from_public():
    arn = "arn:aws:iam::123456789012:role/datalake-redshift"
    rendered = render_redshift_isolation("etl", iam_role=arn)
    stmts = [" ".join(s.split()) for s in statements(rendered)]
    assert "REVOKE ASSUMEROLE ON ALL FROM PUBLIC FOR ALL" in stmts
    assert f"GRANT ASSUMEROLE ON '{arn}' TO ROLE datalake_pipeline FOR COPY" in stmts
    assert f"GRANT ASSUMEROLE ON '{arn}' TO ROLE datalake_pipeline FOR UNLOAD" in stmts
    assert stmts.index("REVOKE ASSUMEROLE ON ALL FROM PUBLIC FOR ALL") < stmts.index(
        f"GRANT ASSUMEROLE ON '{arn}' TO ROLE datalake_pipeline FOR COPY"
    )
    assert "REVOKE USAGE ON LANGUAGE sql FROM PUBLIC" in stmts
    assert "REVOKE USAGE ON LANGUAGE plpgsql FROM PUBLIC" in stmts
    assert not any(
        "ASSUMEROLE" in s and "datalake_tenant" in s and s.startswith("GRANT") for s in stmts
    )
    # no role configured: every attached role, to the pipeline only
    assert "GRANT ASSUMEROLE ON ALL TO ROLE datalake_pipeline FOR UNLOAD" in [
        " ".join(s.split()) for s in statements(render_redshift_isolation("etl"))
    ]
    with pytest.raises(CredentialError):
        render_redshift_isolation(
            "etl", iam_role="arn:aws:iam::123456789012:role/x' TO PUBLIC FOR ALL; --"
        )


def test_redshift_tenants_can_neither_ignore_nor_explain_rls():
    """plans leak nothing. The tenant role's RLS bypass and plan visibility are revoked
    explicitly on every init, and nothing in any rendered script grants them to a tenant."""
    stmts = [" ".join(s.split()) for s in statements(render_redshift_isolation("etl_user"))]
    assert "REVOKE IGNORE RLS FROM ROLE datalake_tenant" in stmts
    assert "REVOKE EXPLAIN RLS FROM ROLE datalake_tenant" in stmts
    everything = stmts + [
        " ".join(s.split()) for s in statements(render_redshift_create_user(USERNAME, PASSWORD))
    ]
    grants_of_rls = [
        s for s in everything if s.startswith("GRANT") and re.search(r"\b(IGNORE|EXPLAIN) RLS\b", s)
    ]
    assert grants_of_rls == ["GRANT IGNORE RLS TO ROLE datalake_pipeline"]
    assert not any(
        s.startswith("GRANT ROLE datalake_pipeline TO") and USERNAME in s for s in everything
    )


def test_redshift_wlm_puts_tenants_first_and_aborts_long_or_spilling_queries():
    import json

    queues = json.loads(credentials.render_redshift_wlm(limit_seconds=600, spill_mb=2048))
    tenant = queues[0]  # first matching queue wins: a tenant's SET query_group cannot move it
    assert tenant["user_role"] == ["datalake_tenant"] and tenant["query_group"] == []
    rules = {r["rule_name"]: r for r in tenant["rules"]}
    assert rules["tenant_query_too_long"]["action"] == "abort"
    assert rules["tenant_query_too_long"]["predicate"] == [
        {"metric_name": "query_execution_time", "operator": ">", "value": 600}
    ]
    assert rules["tenant_spills_too_much"]["predicate"][0]["value"] == 2048
    assert all(not q.get("query_group") for q in queues)  # no label a tenant could route itself by
    assert queues[-1] == {"short_query_queue": True}
    with pytest.raises(CredentialError):
        credentials.render_redshift_wlm(limit_seconds=0)


def test_redshift_wlm_keeps_automatic_wlm_on_every_queue_and_sets_no_manual_memory():
    """Manual WLM needs memory_percent_to_use on all queues or none, and a manual configuration
    turns Automatic WLM off for the whole cluster: the tenants' queue only gets a priority."""
    import json

    from datalake.credentials.redshift import wlm_problems

    queues = json.loads(credentials.render_redshift_wlm())
    user_queues = [q for q in queues if "short_query_queue" not in q]
    assert wlm_problems(queues) == []
    assert all(q["auto_wlm"] is True for q in user_queues)
    assert not any("memory_percent_to_use" in q or "query_concurrency" in q for q in user_queues)
    assert user_queues[0]["priority"] == "low" and user_queues[-1]["priority"] == "normal"
    # the check itself: the configuration this module rendered before is refused
    manual = [
        {
            "name": "tenants",
            "user_role": ["datalake_tenant"],
            "query_concurrency": 3,
            "memory_percent_to_use": 20,
        },
        {"name": "default", "query_concurrency": 5},
        {"short_query_queue": True},
    ]
    assert wlm_problems(manual) == [
        "memory_percent_to_use on some queues only (tenants): all or none"
    ]


def test_redshift_serverless_gets_no_wlm_configuration():
    with pytest.raises(CredentialError, match="Serverless has no WLM"):
        credentials.render_redshift_wlm(serverless=True)
