"""datalake.redshift: the connection arguments for each way redshift_default can be set
(the AWS credential call is replaced here; tests/integration/test_redshift_connection.py makes
it for real against moto's Redshift API)."""

from types import SimpleNamespace

import pytest

from datalake import redshift


def _conn(extra=None, **fields):
    base = {
        "conn_id": "redshift_default",
        "conn_type": "redshift",
        "host": "lake.abc.eu-central-1.redshift.amazonaws.com",
        "port": None,
        "schema": "epilot_datalake",
        "login": None,
        "password": None,
    }
    base.update(fields)
    return SimpleNamespace(extra_dejson=extra or {}, **base)


class FakeServerless:
    def __init__(self):
        self.calls = []

    def get_credentials(self, **kwargs):
        self.calls.append(kwargs)
        return {"dbUser": "IAMR:etl", "dbPassword": "temporary"}


def test_serverless_iam_calls_get_credentials_with_the_workgroup(monkeypatch):
    fake = FakeServerless()
    seen = {}

    def client(service, extra, aws_conn_id):
        seen.update(service=service, aws_conn_id=aws_conn_id, region=extra.get("region"))
        return fake

    monkeypatch.setattr(redshift, "_aws_client", client)
    conn = _conn(
        {
            "iam": True,
            "is_serverless": True,
            "serverless_work_group": "lake-wg",
            "region": "eu-west-1",
        },
        host="lake-wg.123.eu-west-1.redshift-serverless.amazonaws.com",
    )
    kwargs = redshift.connection_kwargs(conn, "aws_default", "epilot_datalake")
    assert seen == {
        "service": "redshift-serverless",
        "aws_conn_id": "aws_default",
        "region": "eu-west-1",
    }
    assert fake.calls == [
        {"dbName": "epilot_datalake", "workgroupName": "lake-wg", "durationSeconds": 3600}
    ]
    assert (kwargs["user"], kwargs["password"], kwargs["port"], kwargs["sslmode"]) == (
        "IAMR:etl",
        "temporary",
        5439,
        "verify-full",
    )


def test_serverless_without_a_workgroup_is_a_clear_error():
    with pytest.raises(ValueError, match="serverless_work_group"):
        redshift.connection_kwargs(
            _conn({"iam": True, "is_serverless": True}), None, "epilot_datalake"
        )


def test_iam_without_a_user_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(redshift, "_aws_client", lambda *a: pytest.fail("no call without a user"))
    with pytest.raises(ValueError, match="database user"):
        redshift.connection_kwargs(_conn({"iam": True}), None, "epilot_datalake")


def test_local_postgres_connection_gets_no_ssl_requirement():
    conn = _conn(
        {"is_local_postgres": True}, host="127.0.0.1", port=5439, login="admin", password="pw"
    )
    kwargs = redshift.connection_kwargs(conn, None, "epilot_datalake")
    assert "sslmode" not in kwargs and kwargs["user"] == "admin"


def test_the_pinned_psycopg_decodes_redshifts_unicode_encoding_itself():
    """Redshift reports client_encoding UNICODE; psycopg maps it (no alias of ours needed)."""
    from psycopg import _encodings

    assert _encodings.pg2pyenc(b"UNICODE") == "utf-8"


def test_redshift_tls_verifies_the_certificate_unless_the_extra_overrides_it():
    base = {"host": "c.abc.eu-central-1.redshift.amazonaws.com", "login": "etl", "password": "pw"}
    plain = redshift.connection_kwargs(_conn({}, **base), None, "epilot_datalake")
    assert (plain["sslmode"], plain["sslrootcert"]) == ("verify-full", "system")
    bundle = redshift.connection_kwargs(
        _conn({"sslrootcert": "/etc/redshift-ca-bundle.crt"}, **base), None, "epilot_datalake"
    )
    assert (bundle["sslmode"], bundle["sslrootcert"]) == (
        "verify-full",
        "/etc/redshift-ca-bundle.crt",
    )
    # A weaker mode named by the extra gets no sslrootcert=system (libpq refuses that pair).
    weaker = redshift.connection_kwargs(
        _conn({"sslmode": "require"}, **base), None, "epilot_datalake"
    )
    assert weaker["sslmode"] == "require" and "sslrootcert" not in weaker


def test_redshift_uri_gets_the_tls_parameters_it_does_not_name():
    uri = "redshift://u:p@c.abc.eu-central-1.redshift.amazonaws.com:5439/epilot_datalake"
    assert redshift.uri_sslmode(uri, True) == {"sslmode": "verify-full", "sslrootcert": "system"}
    assert redshift.uri_sslmode(uri + "?sslmode=verify-ca", True) == {"sslrootcert": "system"}
    assert redshift.uri_sslmode(uri + "?sslmode=require", True) == {}
    assert redshift.uri_sslmode("postgresql://u:p@127.0.0.1/db", False) == {}


def test_the_bundled_libpq_accepts_sslrootcert_system():
    import psycopg

    assert psycopg.pq.version() >= 160000  # sslrootcert=system is libpq 16+
    given = {
        o.keyword: o.val
        for o in psycopg.pq.Conninfo.parse(b"sslmode=verify-full sslrootcert=system")
    }
    assert given[b"sslrootcert"] == b"system"
