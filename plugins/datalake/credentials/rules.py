"""What a tenant credential is (Credential, CredentialRecord), its limits and the rules its
names and passwords follow; CredentialError for bad input. No SQL here."""

from __future__ import annotations

import os
import re
import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import unquote, urlsplit

from datalake.config import WAREHOUSE_DATABASE, Settings

TENANT_ROLE = "datalake_tenant"

REDSHIFT_POLICIES = {"account": "datalake_tenant_account", "org_id": "datalake_tenant_org_id"}

ORG_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
USERNAME_PREFIX = "dl_"
USERNAME_RE = re.compile(r"dl_[0-9a-f]{12}")
CREATED_BY_MAX = 256
# Per credential: a BI tool needs a few connections, not the server's whole pool.
CONNECTION_LIMIT = int(os.environ.get("DATALAKE_TENANT_CONNECTION_LIMIT", "5"))
# Spill to disk per query (the tenant cannot lift it) and the session defaults for honest clients.
TENANT_TEMP_FILE_LIMIT = os.environ.get("DATALAKE_TENANT_TEMP_FILE_LIMIT", "1GB")
TENANT_STATEMENT_TIMEOUT = os.environ.get("DATALAKE_TENANT_STATEMENT_TIMEOUT", "10min")
# The longest a tenant query may run: the local watchdog ends it, Redshift's WLM rule aborts it.
TENANT_QUERY_LIMIT_SECONDS = int(os.environ.get("DATALAKE_TENANT_QUERY_LIMIT_SECONDS", "600"))

PASSWORD_LENGTH = 32
# Redshift's rules: 8-64 printable ASCII characters, at least one upper case letter, one lower
# case letter and one digit, none of ' " \ / @ or space. The symbols used are the URL-unreserved
# ones, so a password also survives a connection URI, an ODBC string or a shell unquoted.
PASSWORD_SYMBOLS = "-_.~"
PASSWORD_ALPHABET = string.ascii_letters + string.digits + PASSWORD_SYMBOLS
_PASSWORD_FORBIDDEN = set("'\"\\/@ ")


class CredentialError(ValueError):
    """Bad input or an impossible request; nothing was changed."""


@dataclass(frozen=True)
class Credential:
    """A freshly generated credential. The password is only ever held here: it is not in the
    repr, the registry, or anything sent to the warehouse."""

    username: str
    password: str = field(repr=False)
    host: str
    port: int
    database: str
    org_id: str
    created_by: str | None = None
    created_at: datetime | None = None
    ssl_required: bool = False

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    def uri(self) -> str:
        """A libpq URI for this credential (the password needs no escaping: see
        PASSWORD_SYMBOLS)."""
        ssl = "?sslmode=require" if self.ssl_required else ""
        return f"postgresql://{self.username}:{self.password}@{self.host}:{self.port}/{self.database}{ssl}"


@dataclass(frozen=True)
class CredentialRecord:
    """One registry row (there is no password in the registry)."""

    username: str
    org_id: str
    created_by: str | None
    created_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None = None
    sessions_terminated: int | None = None
    sessions_note: str | None = None  # why open sessions were not ended (the revoke stands)

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def status(self) -> str:
        return "active" if self.active else "revoked"


# --- input validation ---------------------------------------------------------------------


def validate_org_id(org_id) -> str:
    if not isinstance(org_id, str) or not ORG_ID_RE.fullmatch(org_id):
        shown = org_id if isinstance(org_id, str) and len(org_id) <= 80 else f"{str(org_id)[:80]}…"
        raise CredentialError(
            f"invalid organization id {shown!r}: use 1-64 letters, digits, '_' or '-', "
            "starting with a letter or digit"
        )
    return org_id


def validate_username(username) -> str:
    if not isinstance(username, str) or not USERNAME_RE.fullmatch(username):
        shown = (
            username
            if isinstance(username, str) and len(username) <= 80
            else f"{str(username)[:80]}…"
        )
        raise CredentialError(
            f"unknown credential {shown!r}: datalake credentials are named dl_ followed by 12 hex "
            "digits (see `datalake credentials list`)"
        )
    return username


def validate_actor(name, what: str = "created-by") -> str | None:
    if name is None or name == "":
        return None
    if not isinstance(name, str) or len(name) > CREATED_BY_MAX or not name.isprintable():
        raise CredentialError(
            f"invalid {what} value: printable text of at most {CREATED_BY_MAX} characters"
        )
    return name


# --- secrets ------------------------------------------------------------------------------


def new_username() -> str:
    """dl_ and 12 random hex digits. The organisation is deliberately not part of the name:
    role names are visible to every login (pg_roles), and would tell one tenant who the others
    are."""
    return USERNAME_PREFIX + secrets.token_hex(6)


def password_meets_rules(password: str) -> bool:
    return (
        8 <= len(password) <= 64
        and all(33 <= ord(ch) <= 126 for ch in password)
        and not (set(password) & _PASSWORD_FORBIDDEN)
        and any(ch.isupper() for ch in password)
        and any(ch.islower() for ch in password)
        and any(ch.isdigit() for ch in password)
    )


def generate_password(length: int = PASSWORD_LENGTH) -> str:
    """A random password from the secrets module (~190 bits at 32 characters) that meets Redshift's
    rules, with a symbol, and starting with a letter (so it is never read as a command-line
    option)."""
    if not 8 <= length <= 64:
        raise ValueError("password length must be 8 to 64")
    while True:
        first = secrets.choice(string.ascii_letters)
        password = first + "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length - 1))
        if password_meets_rules(password) and any(ch in PASSWORD_SYMBOLS for ch in password):
            return password


# --- endpoint -----------------------------------------------------------------------------


def endpoint_of(settings: Settings) -> tuple[str, int, str]:
    """(host, port, database) of the configured warehouse, as a BI tool would reach it."""
    parts = urlsplit(settings.warehouse_uri)
    port = parts.port or 5439
    database = unquote(parts.path.lstrip("/")) or WAREHOUSE_DATABASE
    return parts.hostname or "127.0.0.1", port, database
