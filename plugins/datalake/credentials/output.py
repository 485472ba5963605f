"""What the `datalake credentials` command prints."""

from __future__ import annotations

from datetime import datetime

from datalake.credentials.rules import Credential, CredentialRecord


def ssl_note(credential: Credential) -> str:
    if credential.ssl_required:
        return (
            "SSL: required. Connect with SSL on (libpq sslmode=require, or verify-full with the "
            "Amazon Redshift CA bundle); BI tools: tick 'Use SSL' / 'Require SSL'."
        )
    return (
        "SSL: the local stand-in listens on 127.0.0.1 only and has no TLS certificate (use "
        "sslmode=disable or prefer); against Redshift the same credential fields are used with "
        "SSL required."
    )


def format_generated(credential: Credential, fmt: str = "text") -> str:
    """What `datalake credentials generate` prints: everything a BI tool needs, the password
    once."""
    fields = {
        "username": credential.username,
        "password": credential.password,
        "endpoint": credential.endpoint,
        "host": credential.host,
        "port": credential.port,
        "database": credential.database,
        "organization": credential.org_id,
        "created_by": credential.created_by,
        "created_at": credential.created_at.isoformat() if credential.created_at else None,
        "ssl_required": credential.ssl_required,
    }
    if fmt == "json":
        import json

        return json.dumps(fields, indent=2) + "\n"
    lines = [
        f"{key + ':':<14}{'' if value is None else value}"
        for key, value in fields.items()
        if key != "ssl_required"
    ]
    lines += [
        "",
        "The password is shown this once and is stored nowhere: keep it in a password manager now.",
        ssl_note(credential),
        "Revoke with: datalake credentials revoke " + credential.username,
    ]
    return "\n".join(lines) + "\n"


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S %Z").strip() if value else ""


def format_records(records: list[CredentialRecord], fmt: str = "table") -> str:
    """What `datalake credentials list` prints (no password: there is none to print)."""
    columns = (
        "username",
        "organization",
        "status",
        "created_by",
        "created_at",
        "revoked_at",
        "revoked_by",
    )
    rows = [
        (
            r.username,
            r.org_id,
            r.status,
            r.created_by or "",
            _when(r.created_at),
            _when(r.revoked_at),
            r.revoked_by or "",
        )
        for r in records
    ]
    if fmt == "json":
        import json

        return json.dumps([dict(zip(columns, row, strict=False)) for row in rows], indent=2) + "\n"
    if fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        return buf.getvalue()
    from tabulate import tabulate

    active = sum(1 for r in records if r.active)
    table = tabulate(rows, headers=columns, tablefmt="psql", disable_numparse=True)
    return table + f"\n({len(records)} credentials, {active} active)\n"


def format_revoked(record: CredentialRecord) -> str:
    ended = record.sessions_terminated
    sessions = "" if ended is None else f"; {ended} open session{'s' if ended != 1 else ''} ended"
    note = f"note: {record.sessions_note}\n" if record.sessions_note else ""
    return f"revoked {record.username} (organization {record.org_id}){sessions}\n{note}"
