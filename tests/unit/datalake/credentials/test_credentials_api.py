"""Credentials without a warehouse: input validation, passwords, the SCRAM verifier, output."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timezone

import pytest

from datalake import credentials, scram
from datalake.credentials import Credential, CredentialError, CredentialRecord
from datalake.credentials import rules as credentials_rules


@pytest.mark.parametrize("org", ["739224", "org_1", "a-b", "A" * 64, "0"])
def test_plain_organization_ids_are_accepted(org):
    assert credentials.validate_org_id(org) == org


@pytest.mark.parametrize(
    "org",
    [
        "",
        "x; DROP TABLE",
        "739224'",
        'a"b',
        "a b",
        "-abc",
        "_abc",
        "A" * 65,
        "ä",
        "a\n",
        "a/b",
        "a@b",
        None,
        739224,
    ],
)
def test_other_organization_ids_are_refused_clearly(org):
    with pytest.raises(CredentialError, match="invalid organization id"):
        credentials.validate_org_id(org)


def test_usernames_and_actors():
    name = credentials_rules.new_username()
    assert credentials_rules.USERNAME_RE.fullmatch(name) and len(name) == 15
    assert credentials.validate_username(name) == name
    for bad in ("datalake_admin", "postgres", "dl_XYZ", name + "0", "dl_0123456789ab; DROP ROLE x"):
        with pytest.raises(CredentialError, match="unknown credential"):
            credentials.validate_username(bad)
    assert credentials.validate_actor(None) is None and credentials.validate_actor("") is None
    assert (
        credentials.validate_actor("Jane Doe <jane@example.com>") == "Jane Doe <jane@example.com>"
    )
    for bad in ("x" * 257, "line\nbreak", "\x00"):
        with pytest.raises(CredentialError):
            credentials.validate_actor(bad)


def test_passwords_are_random_strong_and_meet_redshifts_rules():
    seen = set()
    for _ in range(300):
        p = credentials_rules.generate_password()
        assert len(p) == 32 and credentials_rules.password_meets_rules(p)
        assert not set(p) & set("'\"\\/@ ") and p[0].isalpha()
        assert any(c in credentials_rules.PASSWORD_SYMBOLS for c in p)
        seen.add(p)
    assert len(seen) == 300
    assert credentials_rules.password_meets_rules(credentials_rules.generate_password(8))
    assert not credentials_rules.password_meets_rules("alllower1")
    assert not credentials_rules.password_meets_rules("Short1")
    assert not credentials_rules.password_meets_rules("Has space1A")
    assert not credentials_rules.password_meets_rules("Has@sign1")
    with pytest.raises(ValueError):
        credentials_rules.generate_password(65)


def test_scram_verifier_matches_rfc7677_example():
    # RFC 7677 section 3: user "user", password "pencil"; the server's signature and the client's
    # proof there are reproduced from the StoredKey/ServerKey this module computes.
    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    verifier = scram.scram_sha256_verifier("pencil", salt=salt, iterations=4096)
    head, iters_salt, keys = verifier.split("$")
    assert head == "SCRAM-SHA-256" and iters_salt == "4096:W22ZaJ0SNY7soEsUEjb6gQ=="
    stored_key, server_key = (base64.b64decode(k) for k in keys.split(":"))
    nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    auth_message = (
        f"n=user,r=rOprNGfwEbeRWgbNEkqO,r={nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r={nonce}"
    ).encode()
    server_signature = hmac.new(server_key, auth_message, hashlib.sha256).digest()
    assert (
        base64.b64encode(server_signature).decode()
        == "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
    )
    proof = base64.b64decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    client_signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
    client_key = bytes(a ^ b for a, b in zip(proof, client_signature, strict=False))
    assert hashlib.sha256(client_key).digest() == stored_key


def test_scram_verifier_is_salted_and_refuses_non_ascii():
    a, b = scram.scram_sha256_verifier("Secret-1x"), scram.scram_sha256_verifier("Secret-1x")
    assert a != b and scram.is_verifier(a) and "Secret-1x" not in a
    with pytest.raises(ValueError):
        scram.scram_sha256_verifier("pässword1A")
    with pytest.raises(ValueError):
        scram.scram_sha256_verifier("Secret-1x", iterations=1000)


def test_redshift_md5_form():
    # the example of Redshift's CREATE USER documentation: password ez, user user1
    assert credentials.redshift_md5_password("ez", "user1") == "md5153c434b4b77c89e6b94f12c5393af5b"


def _credential(ssl=False):
    return Credential(
        username="dl_0123456789ab",
        password="Pw-0123456789abcdefABCDEF",
        host="127.0.0.1",
        port=5439,
        database="epilot_datalake",
        org_id="739224",
        created_by="ops",
        created_at=datetime(2026, 11, 28, tzinfo=timezone.utc),
        ssl_required=ssl,
    )


def test_the_password_stays_out_of_repr_and_is_printed_once():
    c = _credential()
    assert "Pw-0123456789" not in repr(c) and "Pw-0123456789" not in str(c)
    out = credentials.format_generated(c)
    assert out.count("Pw-0123456789abcdefABCDEF") == 1
    for needle in (
        "username:     dl_0123456789ab",
        "endpoint:     127.0.0.1:5439",
        "database:     epilot_datalake",
        "SSL:",
        "shown this once",
    ):
        assert needle in out
    assert "SSL: required" in credentials.format_generated(_credential(ssl=True))
    assert (
        c.uri()
        == "postgresql://dl_0123456789ab:Pw-0123456789abcdefABCDEF@127.0.0.1:5439/epilot_datalake"
    )


def test_list_output_has_no_password_column():
    rec = CredentialRecord(
        "dl_0123456789ab", "739224", "ops", datetime(2026, 11, 28, tzinfo=timezone.utc), None
    )
    table = credentials.format_records([rec])
    assert "dl_0123456789ab" in table and "active" in table and "password" not in table
    assert "(1 credentials, 1 active)" in table
    assert credentials.format_records([rec], "csv").splitlines()[0] == (
        "username,organization,status,created_by,created_at,revoked_at,revoked_by"
    )


def test_endpoint_comes_from_the_warehouse_uri():
    from datalake.config import Settings

    s = Settings(
        None, "l", "k", "postgresql://a:b@warehouse.example:5440/epilot_datalake", "http://x"
    )
    assert credentials_rules.endpoint_of(s) == ("warehouse.example", 5440, "epilot_datalake")
    s = Settings(
        None,
        "l",
        "k",
        "redshift://a:b@c.abc.eu-central-1.redshift.amazonaws.com/epilot_datalake",
        "http://x",
    )
    assert credentials_rules.endpoint_of(s) == (
        "c.abc.eu-central-1.redshift.amazonaws.com",
        5439,
        "epilot_datalake",
    )


def test_bad_input_fails_before_any_connection(monkeypatch):
    def no_connection(*a, **k):
        raise AssertionError("connected to the warehouse")

    monkeypatch.setattr("datalake.warehouse.connect", no_connection)
    with pytest.raises(CredentialError):
        credentials.generate("x; DROP TABLE")
    with pytest.raises(CredentialError):
        credentials.revoke("datalake_admin")
    with pytest.raises(CredentialError):
        credentials.list_credentials("a b")
