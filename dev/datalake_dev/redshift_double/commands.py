"""The Redshift-only statements the double runs itself, on the client's upstream session.

COPY ... FROM 's3://...' FORMAT AS PARQUET, UNLOAD, RLS policies, ASSUMEROLE, CREATE/ALTER
USER. Each returns the command tag Redshift answers with, or raises Refused / UpstreamError.
The statements' grammars are read from sqlglot tokens (statements.py says why).
"""

from __future__ import annotations

import asyncio
import re

from sqlglot.tokens import TokenType

from datalake_dev.redshift_double import rls, s3io, users
from datalake_dev.redshift_double.session import UpstreamError
from datalake_dev.redshift_double.statements import NOT_SUPPORTED, Refused


async def run(session, what: str, statement) -> str:
    if what == "copy_s3":
        return await copy_s3(session, statement)
    if what == "unload":
        return await unload(session, statement)
    if what == "rls":
        return await rls.run(session, statement)
    if what == "assumerole":
        return await users.assumerole(session, statement)
    if what == "user":
        return await users.create_or_alter_user(session, statement)
    if what == "system":
        from datalake_dev.redshift_double import metadata

        return await metadata.alter_system(session, statement)
    raise Refused(f"{what} is {NOT_SUPPORTED}")


def load_error(table: str, reason: str) -> UpstreamError:
    return UpstreamError(
        {
            "S": "ERROR",
            "C": "XX000",
            "M": f"Load into table '{table}' failed.  Check "
            f"'stl_load_errors' system table for details. ({reason})",
        }
    )


def _options(tokens) -> dict[str, object]:
    """Options after the S3 location: {'IAM_ROLE': arn, 'FORMAT': 'PARQUET', 'PARTITION BY':
    [cols], 'INCLUDE': True, 'PARALLEL': bool, 'ALLOWOVERWRITE': True, 'ENCRYPTED': 'AUTO', ...}"""
    options: dict[str, object] = {}
    i = 0
    words = [t.text.upper() if t.token_type != TokenType.STRING else None for t in tokens]
    while i < len(tokens):
        word = words[i]
        nxt = words[i + 1] if i + 1 < len(tokens) else None
        if word == "IAM_ROLE":
            options["IAM_ROLE"] = (
                tokens[i + 1].text if tokens[i + 1].token_type == TokenType.STRING else "default"
            )
            i += 2
        elif word == "FORMAT":
            i += 2 if nxt == "AS" else 1
            options["FORMAT"] = words[i]
            i += 1
        elif word in ("PARQUET", "CSV", "JSON"):
            options["FORMAT"] = word
            i += 1
        elif word in ("PARTITION", "PARTITION BY") and (nxt == "BY" or word == "PARTITION BY"):
            j = i + (3 if word == "PARTITION" else 2)
            cols = []
            while tokens[j].token_type != TokenType.R_PAREN:
                if tokens[j].token_type != TokenType.COMMA:
                    cols.append(tokens[j].text.lower())
                j += 1
            options["PARTITION BY"] = cols
            i = j + 1
        elif word == "PARALLEL":
            options["PARALLEL"] = nxt not in ("OFF", "FALSE")
            i += 2 if nxt in ("ON", "TRUE", "OFF", "FALSE") else 1
        elif word == "ENCRYPTED":
            options["ENCRYPTED"] = "AUTO" if nxt == "AUTO" else True
            i += 2 if nxt == "AUTO" else 1
        elif word in ("REGION", "MAXFILESIZE", "EXTENSION", "KMS_KEY_ID"):
            i += 1
            if words[i] == "AS":
                i += 1
            options[word] = tokens[i].text
            i += 1
            if word == "MAXFILESIZE" and i < len(words) and words[i] in ("MB", "GB"):
                i += 1
        elif word == ";":
            i += 1
        else:
            options[word or tokens[i].text] = True
            i += 1
    return options


def _s3(session):
    return session.double.s3_client()


# -- COPY ----------------------------------------------------------------------------------
COPY_HEAD = re.compile(
    r"^\s*COPY\s+(?P<table>(\"[^\"]+\"|[\w$]+)(\.(\"[^\"]+\"|[\w$]+))*)\s*"
    r"(\((?P<columns>[^)]*)\))?\s*FROM\s+'(?P<uri>[^']*)'",
    re.IGNORECASE | re.DOTALL,
)


async def copy_s3(session, statement) -> str:
    head = COPY_HEAD.match(statement.sql)
    if head is None or not head.group("uri").startswith("s3://"):
        raise Refused(
            f"this COPY form is {NOT_SUPPORTED} by the double (COPY table FROM 's3://...')"
        )
    tokens = statement.tokens
    start = next(i for i, t in enumerate(tokens) if t.token_type == TokenType.STRING) + 1
    options = _options(tokens[start:])
    if options.get("FORMAT") != "PARQUET":
        raise Refused("the double models COPY ... FORMAT AS PARQUET only")
    if "IAM_ROLE" not in options:
        raise Refused("COPY from Amazon S3 needs an authorization (IAM_ROLE)")
    await users.check_assumerole(session, options["IAM_ROLE"], "COPY")
    table = head.group("table")
    columns = await target_columns(session, table, head.group("columns"))
    bucket, prefix = s3io.split_uri(head.group("uri"))
    client = _s3(session)
    keys = await asyncio.to_thread(s3io.list_keys, client, bucket, prefix)
    if not keys:
        raise load_error(table, f"The specified S3 prefix '{prefix}' does not exist")
    files = [await asyncio.to_thread(s3io.read_parquet, client, bucket, key) for key in keys]
    names = ", ".join(name for name, _ in columns)
    return await session.copy_in(
        f"COPY {table} ({names}) FROM STDIN", _copy_chunks(table, columns, files)
    )


async def target_columns(session, table: str, listed: str | None) -> list[tuple[str, int | None]]:
    """(quoted name, VARCHAR byte limit or None) per target column, in COPY's order."""
    literal = table.replace("'", "''")
    _, rows, _ = await session.rows(
        "SELECT quote_ident(attname), CASE WHEN atttypid IN (1043, 1042) AND atttypmod > 4 "
        f"THEN atttypmod - 4 END FROM pg_attribute WHERE attrelid = '{literal}'::regclass "
        "AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
    )
    columns = [(name, int(limit) if limit else None) for name, limit in rows]
    if listed:
        by_name = {name.strip('"').lower(): (name, limit) for name, limit in columns}
        wanted = [c.strip().strip('"').lower() for c in listed.split(",")]
        missing = [c for c in wanted if c not in by_name]
        if missing:
            raise load_error(table, f"column {missing[0]} does not exist")
        columns = [by_name[c] for c in wanted]
    return columns


def _copy_chunks(table: str, columns, files):
    """COPY text payloads, columns by position; a value longer in bytes than its VARCHAR(n)
    fails the whole COPY (Redshift counts VARCHAR length in bytes)."""
    for data in files:
        if data.num_columns != len(columns):
            raise load_error(
                table,
                f"the Parquet file has {data.num_columns} columns, the COPY "
                f"targets {len(columns)}: columns are matched by position",
            )
        for batch in data.to_batches(max_chunksize=5000):
            lines = []
            for row in zip(
                *(batch.column(i).to_pylist() for i in range(batch.num_columns)), strict=False
            ):
                for (name, limit), value in zip(columns, row, strict=False):
                    if limit is not None and isinstance(value, str) and len(value.encode()) > limit:
                        raise load_error(
                            table,
                            f"String length exceeds DDL length: column {name}, "
                            f"{len(value.encode())} bytes > varchar({limit})",
                        )
                lines.append("\t".join(s3io.text_value(v) for v in row))
            if lines:
                yield ("\n".join(lines) + "\n").encode()


# -- UNLOAD --------------------------------------------------------------------------------
async def unload(session, statement) -> str:
    tokens = statement.tokens
    strings = [i for i, t in enumerate(tokens) if t.token_type == TokenType.STRING]
    if len(strings) < 2 or tokens[strings[1] - 1].text.upper() != "TO":
        raise Refused("UNLOAD ('select ...') TO 's3://...' ...: cannot read this UNLOAD")
    query, target = tokens[strings[0]].text, tokens[strings[1]].text
    options = _options(tokens[strings[1] + 1 :])
    if options.get("FORMAT") != "PARQUET":
        raise Refused("the double models UNLOAD ... FORMAT AS PARQUET only")
    if "IAM_ROLE" not in options:
        raise Refused("UNLOAD to Amazon S3 needs an authorization (IAM_ROLE)")
    await users.check_assumerole(session, options["IAM_ROLE"], "UNLOAD")
    bucket, prefix = s3io.split_uri(target)
    client = _s3(session)
    partition_by = options.get("PARTITION BY") or []
    # The rows are read as the calling user on the client's session: RLS filters them and the
    # transaction's own uncommitted rows are in.
    from datalake_dev.redshift_double.statements import rewrite, tokenize

    columns, rows, _ = await session.rows(session.double.translate(rewrite(tokenize(query), False)))
    table = s3io.arrow_table(columns, rows)
    missing = [c for c in partition_by if c not in table.column_names]
    if missing:
        raise UpstreamError(
            {
                "S": "ERROR",
                "C": "42703",
                "M": f"PARTITION BY column {missing[0]} is not in the query",
            }
        )
    destination = prefix if not partition_by or prefix.endswith("/") else prefix + "/"
    files = s3io.unload_files(
        table, prefix, options.get("PARALLEL", True), partition_by, "INCLUDE" in options
    )
    existing = await asyncio.to_thread(s3io.list_keys, client, bucket, destination)
    if "CLEANPATH" in options:
        folders = (
            {key.rsplit("/", 1)[0] + "/" for key, _ in files} if partition_by else {destination}
        )
        stale = [k for k in existing if any(k.startswith(f) for f in folders)]
        await asyncio.to_thread(_delete, client, bucket, stale)
    elif existing and "ALLOWOVERWRITE" not in options:
        raise UpstreamError(
            {
                "S": "ERROR",
                "C": "XX000",
                "M": (
                    "Specified unload destination on S3 is not empty. Consider using a different "
                    "bucket / prefix, manually removing the target files in S3, or using the "
                    "ALLOWOVERWRITE option."
                ),
            }
        )
    extra = (
        {"ServerSideEncryption": "aws:kms"}
        if options.get("ENCRYPTED") == "AUTO"
        and session.double.kms_only_buckets
        and bucket in session.double.kms_only_buckets
        else {}
    )
    if bucket in session.double.kms_only_buckets and not extra:
        raise UpstreamError(
            {
                "S": "ERROR",
                "C": "XX000",
                "M": (
                    f"S3ServiceException:Access Denied (bucket {bucket} requires SSE-KMS: "
                    "UNLOAD ... ENCRYPTED AUTO)"
                ),
            }
        )
    for key, rows_of_file in files:
        await asyncio.to_thread(s3io.put_parquet, client, bucket, key, rows_of_file, **extra)
    session.double.unloads.append(
        {"target": target, "keys": [k for k, _ in files], "rows": table.num_rows}
    )
    return "UNLOAD"


def _delete(client, bucket: str, keys: list[str]) -> None:
    for start in range(0, len(keys), 1000):
        client.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[start : start + 1000]]}
        )
