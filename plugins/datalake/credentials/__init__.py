"""Per-organisation, read-only warehouse credentials.

``generate(org_id)`` issues a credential (username, endpoint, database, password: the password
is returned once and never stored), ``list_credentials()`` shows the registry and
``revoke(username)`` ends a credential: its login fails and its open sessions end.

Isolation lives in the warehouse, in include/sql/credentials/isolation.sql (PostgreSQL, applied
by ``apply_isolation`` from ``datalake init``) and include/sql/redshift/credentials/ (Redshift):
every credential is a login role whose only membership is the group ``datalake_tenant``, which
may SELECT the tenant-visible tables only; row-level security on each of them keeps the rows
whose organisation column equals the organisation the registry maps the user to.

What an operator types never reaches SQL unescaped: the organisation id must be a plain
identifier, role names are generated here and passed as ``sql.Identifier``, values as query
parameters or ``sql.Literal``. The password never leaves this process in clear: PostgreSQL gets
a SCRAM-SHA-256 verifier computed here (datalake.scram), Redshift its documented MD5 form.
"""

from __future__ import annotations

from datalake.config import Settings, load_settings
from datalake.credentials.output import format_generated, format_records, format_revoked, ssl_note
from datalake.credentials.postgres import (
    apply_isolation,
    generate_postgres,
    isolation_violations,
    list_postgres,
    render_isolation,
    restore_tenant_passwords,
    revoke_postgres,
)
from datalake.credentials.redshift import (
    REDSHIFT_POLICIES,
    apply_redshift_isolation,
    generate_redshift,
    redshift_identifier,
    redshift_md5_password,
    render_redshift_create_user,
    render_redshift_isolation,
    render_redshift_revoke_user,
    render_redshift_wlm,
    revoke_redshift,
)
from datalake.credentials.rules import (
    Credential,
    CredentialError,
    CredentialRecord,
    validate_actor,
    validate_org_id,
    validate_username,
)
from datalake.tenant_tables import TENANT_TABLES


def generate(
    org_id: str, created_by: str | None = None, *, settings: Settings | None = None
) -> Credential:
    """Issue a new read-only credential for one organisation. The returned password is the only
    copy: show it once. Several active credentials per organisation are allowed."""
    org_id = validate_org_id(org_id)
    created_by = validate_actor(created_by)
    settings = settings or load_settings()
    if settings.warehouse_is_redshift:
        return generate_redshift(org_id, created_by, settings)
    return generate_postgres(org_id, created_by, settings)


def list_credentials(
    org_id: str | None = None, *, settings: Settings | None = None
) -> list[CredentialRecord]:
    """The registry (active and revoked credentials), newest first; never a password."""
    if org_id is not None:
        org_id = validate_org_id(org_id)
    return list_postgres(org_id, settings or load_settings())


def revoke(
    username: str, *, revoked_by: str | None = None, settings: Settings | None = None
) -> CredentialRecord:
    """Revoke a credential: its login fails from now on and its open sessions are ended.
    An unknown or already revoked credential is an error, and nothing is changed."""
    username = validate_username(username)
    revoked_by = validate_actor(revoked_by, "revoked-by")
    settings = settings or load_settings()
    if settings.warehouse_is_redshift:
        return revoke_redshift(username, revoked_by, settings)
    return revoke_postgres(username, revoked_by, settings)


__all__ = [
    "Credential",
    "CredentialError",
    "CredentialRecord",
    "REDSHIFT_POLICIES",
    "TENANT_TABLES",
    "apply_isolation",
    "apply_redshift_isolation",
    "format_generated",
    "format_records",
    "format_revoked",
    "generate",
    "isolation_violations",
    "list_credentials",
    "redshift_identifier",
    "redshift_md5_password",
    "render_isolation",
    "render_redshift_create_user",
    "render_redshift_isolation",
    "render_redshift_revoke_user",
    "render_redshift_wlm",
    "restore_tenant_passwords",
    "revoke",
    "ssl_note",
]
