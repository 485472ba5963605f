"""SCRAM-SHA-256 password verifiers computed on the client (RFC 5802, RFC 7677).

PostgreSQL accepts a pre-hashed password in ``CREATE ROLE ... PASSWORD '<verifier>'`` when it
has the form ``SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`` (base64 parts). By
sending the verifier instead of the password, the clear password never reaches the server, so
it cannot end up in its log (``log_statement``, an error's statement text) or in
``pg_stat_activity``. psycopg has no helper for this, hence this small module.

Only ASCII passwords are accepted: for them PostgreSQL's SASLprep normalisation is the
identity, so the verifier computed here is exactly the one the server would compute.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

DEFAULT_ITERATIONS = 4096  # PostgreSQL's scram_iterations default
SALT_BYTES = 16  # PostgreSQL's SCRAM_DEFAULT_SALT_LEN


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def salted_password(password: str, salt: bytes, iterations: int) -> bytes:
    if not password or not password.isascii() or not password.isprintable():
        raise ValueError("SCRAM verifier: the password must be non-empty printable ASCII")
    return hashlib.pbkdf2_hmac("sha256", password.encode("ascii"), salt, iterations)


def keys(password: str, salt: bytes, iterations: int) -> tuple[bytes, bytes, bytes]:
    """(ClientKey, StoredKey, ServerKey) for the password."""
    salted = salted_password(password, salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    return client_key, stored_key, server_key


def scram_sha256_verifier(
    password: str, *, salt: bytes | None = None, iterations: int = DEFAULT_ITERATIONS
) -> str:
    """The verifier PostgreSQL stores in pg_authid.rolpassword for this password."""
    if iterations < 4096:
        raise ValueError("SCRAM verifier: at least 4096 iterations")
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    _, stored_key, server_key = keys(password, salt, iterations)
    return f"SCRAM-SHA-256${iterations}:{_b64(salt)}${_b64(stored_key)}:{_b64(server_key)}"


def is_verifier(value: str) -> bool:
    parts = value.split("$")
    return len(parts) == 3 and parts[0] == "SCRAM-SHA-256" and ":" in parts[1] and ":" in parts[2]
