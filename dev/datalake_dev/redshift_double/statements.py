"""What the double does with one SQL statement: pass it on, rewrite it, refuse it, or run it
itself (COPY from S3, UNLOAD, RLS, users, ASSUMEROLE).

Statements are looked at as sqlglot tokens (so words inside string literals, quoted
identifiers and comments never count); sqlglot's parser is not used for the Redshift-only
commands because it does not parse UNLOAD options, RLS policies or ASSUMEROLE grants (it
would hand back an opaque Command), so those few grammars are read from the tokens here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlglot.tokens import Tokenizer, TokenType

NOT_SUPPORTED = "not supported by Amazon Redshift"

# PostgreSQL functions Redshift does not have that this project could reach ("Unsupported
# PostgreSQL functions" in the Redshift Database Developer Guide): catalog lookups, array
# functions, advisory locks and other administration functions.
UNSUPPORTED_FUNCTIONS = {
    "TO_REGCLASS",
    "TO_REGPROC",
    "TO_REGPROCEDURE",
    "TO_REGOPER",
    "TO_REGOPERATOR",
    "TO_REGTYPE",
    "TO_REGNAMESPACE",
    "TO_REGROLE",
    "PG_GET_SERIAL_SEQUENCE",
    "PG_TABLE_IS_VISIBLE_X",
    "ARRAY_AGG",
    "ARRAY_APPEND",
    "ARRAY_CAT",
    "ARRAY_DIMS",
    "ARRAY_LOWER",
    "ARRAY_PREPEND",
    "ARRAY_TO_STRING",
    "ARRAY_UPPER",
    "STRING_TO_ARRAY",
    "UNNEST",
    "GENERATE_SUBSCRIPTS",
    "STRING_AGG",
    "PG_TRY_ADVISORY_LOCK",
    "PG_TRY_ADVISORY_XACT_LOCK",
    "PG_ADVISORY_LOCK",
    "PG_ADVISORY_XACT_LOCK",
    "PG_ADVISORY_UNLOCK",
    "PG_ADVISORY_UNLOCK_ALL",
    "PG_ADVISORY_LOCK_SHARED",
    "PG_ADVISORY_XACT_LOCK_SHARED",
    "PG_TRY_ADVISORY_LOCK_SHARED",
    "PG_ADVISORY_UNLOCK_SHARED",
    "PG_CANCEL_BACKEND",
    "PG_RELOAD_CONF",
    "PG_ROTATE_LOGFILE",
    "PG_LS_DIR",
    "PG_READ_FILE",
    "PG_STAT_FILE",
    "PG_SIZE_PRETTY",
    "PG_TOTAL_RELATION_SIZE",
    "PG_RELATION_SIZE",
    "PG_DATABASE_SIZE",
    "PG_COLUMN_SIZE",
    "TXID_CURRENT",
    "PG_CURRENT_XACT_ID",
    "GEN_RANDOM_UUID",
    "JSONB_BUILD_OBJECT",
    "JSON_BUILD_OBJECT",
    "JSON_AGG",
    "JSONB_AGG",
    "REGEXP_MATCHES",
    "REGEXP_SPLIT_TO_TABLE",
}
# pg_stat_activity on Redshift has the columns of PostgreSQL 8.0 (procpid, current_query, ...).
PG_STAT_ACTIVITY_COLUMNS = {
    "DATID",
    "DATNAME",
    "PROCPID",
    "USESYSID",
    "USENAME",
    "CURRENT_QUERY",
    "QUERY_START",
}
PG_STAT_ACTIVITY_PG_ONLY = {
    "PID",
    "STATE",
    "QUERY",
    "BACKEND_TYPE",
    "APPLICATION_NAME",
    "CLIENT_ADDR",
    "CLIENT_HOSTNAME",
    "CLIENT_PORT",
    "BACKEND_START",
    "XACT_START",
    "STATE_CHANGE",
    "WAIT_EVENT",
    "WAIT_EVENT_TYPE",
    "LEADER_PID",
    "BACKEND_XID",
    "BACKEND_XMIN",
    "QUERY_ID",
}
REDSHIFT_TABLE_OPTIONS = re.compile(
    r"\b(DISTKEY\s*\([^)]*\)|DISTSTYLE\s+(ALL|EVEN|KEY|AUTO)|(COMPOUND\s+|INTERLEAVED\s+)?SORTKEY\s*"
    r"(\([^)]*\)|AUTO)|ENCODE\s+(AUTO|\w+)|BACKUP\s+(YES|NO))",
    re.IGNORECASE,
)


class Refused(Exception):
    """A statement Redshift would reject: the message goes back to the client as an error."""


@dataclass
class Statement:
    sql: str
    tokens: list = field(default_factory=list)

    @property
    def words(self) -> list[str]:
        return [
            t.text.upper()
            for t in self.tokens
            if t.token_type not in (TokenType.STRING, TokenType.IDENTIFIER)
        ]

    def word(self, index: int) -> str:
        words = self.words
        return words[index] if index < len(words) else ""

    def strings(self) -> list[str]:
        return [t.text for t in self.tokens if t.token_type == TokenType.STRING]


def tokenize(sql: str) -> Statement:
    try:
        return Statement(sql, Tokenizer().tokenize(sql))
    except Exception:  # the tokenizer cannot read it (e.g. dollar quoting): PostgreSQL decides
        return Statement(sql, [])


def split(sql: str) -> list[str]:
    import sqlparse

    return [
        s
        for s in (part.strip() for part in sqlparse.split(sql))
        if s.strip().rstrip(";").strip()
        and sqlparse.format(s, strip_comments=True).strip().rstrip(";").strip()
    ]


def kind(statement: Statement) -> str:
    """'copy_s3', 'unload', 'rls', 'assumerole', 'user', 'system' (the double runs these) or
    'sql'."""
    words = statement.words
    if not words:
        return "sql"
    first = words[0]
    if first == "COPY" and "FROM" in words and "STDIN" not in words:
        return "copy_s3"
    if first == "UNLOAD":
        return "unload"
    if "RLS" in words and first in ("CREATE", "ATTACH", "DETACH", "DROP", "GRANT", "REVOKE"):
        return "rls"
    if first == "ALTER" and "ROW" in words and "LEVEL" in words and "SECURITY" in words:
        return "rls"
    if first in ("GRANT", "REVOKE") and "ASSUMEROLE" in words:
        return "assumerole"
    if first in ("CREATE", "ALTER") and words[1:2] == ["USER"]:
        return "user"
    if first == "ALTER" and words[1:2] == ["SYSTEM"]:
        return "system"
    return "sql"


def check(statement: Statement, serverless: bool) -> None:
    """Raise Refused for what Redshift does not have and this code could send."""
    tokens = statement.tokens
    words = statement.words
    if not words:
        return
    first = words[0]
    if first == "COPY" and ("STDIN" in words or "STDOUT" in words or "FROM" not in words):
        raise Refused(f"COPY FROM STDIN / COPY TO is {NOT_SUPPORTED}: COPY loads from Amazon S3")
    if first == "DEALLOCATE" and words[-1] == "ALL":
        raise Refused(f"DEALLOCATE ALL is {NOT_SUPPORTED} (only DEALLOCATE [PREPARE] plan_name)")
    for i, word in enumerate(words[:-1]):
        if word == "ON" and words[i + 1] == "CONFLICT":
            raise Refused(f"INSERT ... ON CONFLICT is {NOT_SUPPORTED}")
    if "ARRAY" in words or any(t.token_type == TokenType.L_BRACKET for t in tokens):
        raise Refused(f"array types and literals are {NOT_SUPPORTED}")
    for i, token in enumerate(tokens[:-2]):
        if (
            token.text.upper() in ("ANY", "SOME", "ALL")
            and tokens[i + 1].token_type == TokenType.L_PAREN
        ):
            if tokens[i + 2].text.upper() not in ("SELECT", "WITH", "("):
                raise Refused(f"= ANY(array) is {NOT_SUPPORTED} (only = ANY (subquery))")
    for i, token in enumerate(tokens[:-1]):
        name = token.text.upper()
        if (
            token.token_type not in (TokenType.STRING, TokenType.IDENTIFIER)
            and tokens[i + 1].token_type == TokenType.L_PAREN
            and name in UNSUPPORTED_FUNCTIONS
        ):
            raise Refused(f"function {token.text.lower()}() is {NOT_SUPPORTED}")
    if "PG_STAT_ACTIVITY" in words:
        lacking = sorted(PG_STAT_ACTIVITY_PG_ONLY & set(words))
        if lacking:
            raise Refused(
                f"pg_stat_activity has no column {lacking[0].lower()} on Amazon Redshift "
                f"(it has {', '.join(sorted(c.lower() for c in PG_STAT_ACTIVITY_COLUMNS))})"
            )
    if serverless and any(w.startswith("STV_") for w in words):
        stv = next(w for w in words if w.startswith("STV_"))
        raise Refused(
            f"{stv.lower()} is {NOT_SUPPORTED} Serverless (STV tables are provisioned-only)"
        )
    if (
        first == "SET"
        and words[1:2] in (["TRANSACTION"], ["SESSION"])
        and "CHARACTERISTICS" in words
        or first == "SET"
        and words[1:2] == ["TRANSACTION"]
    ):
        raise Refused(
            f"SET TRANSACTION is {NOT_SUPPORTED}: use BEGIN READ ONLY / BEGIN ISOLATION LEVEL"
        )
    if first == "LOCK" and "MODE" in words:
        raise Refused(
            f"LOCK ... IN ... MODE is {NOT_SUPPORTED}: LOCK always takes an exclusive lock"
        )


def rewrite(statement: Statement, serverless: bool) -> str:
    """Redshift syntax PostgreSQL parses differently; the result runs on the upstream."""
    sql = statement.sql
    words = statement.words
    if not words:
        return sql
    if words[0] == "CREATE" and "TABLE" in words[:4]:
        sql = REDSHIFT_TABLE_OPTIONS.sub("", sql)
    if "GETDATE" in words:
        sql = re.sub(r"\bgetdate\s*\(\s*\)", "localtimestamp(0)", sql, flags=re.IGNORECASE)
    if words[0] in ("GRANT", "REVOKE") and words[1:2] == ["ROLE"]:
        sql = re.sub(r"^\s*(GRANT|REVOKE)\s+ROLE\s+", r"\1 ", sql, flags=re.IGNORECASE)
    if words[0] in ("GRANT", "REVOKE", "ALTER"):
        sql = re.sub(r"\b(TO|FROM)\s+ROLE\s+", r"\1 ", sql, flags=re.IGNORECASE)
    if not serverless and "STV_SESSIONS" in words:
        sql = re.sub(
            r"\b(pg_catalog\.)?stv_sessions\b",
            "redshift_double.stv_sessions",
            sql,
            flags=re.IGNORECASE,
        )
    if "JSON_EXTRACT_PATH_TEXT" in words:
        # Built into Redshift (found whatever the search path); here the project's
        # compatibility layer provides it, in schema redshift_compat.
        sql = _qualify_function(sql, "json_extract_path_text", "redshift_compat")
    if "SVV_ROLES" in words:
        sql = re.sub(
            r"\b(pg_catalog\.)?svv_roles\b", "redshift_double.svv_roles", sql, flags=re.IGNORECASE
        )
    return sql


def _qualify_function(sql: str, name: str, schema: str) -> str:
    """Calls of function `name` not qualified with a schema, qualified with `schema` (tokens:
    words inside strings, quoted identifiers and comments are left alone)."""
    tokens = tokenize(sql).tokens
    out, pos = [], 0
    for i, token in enumerate(tokens[:-1]):
        if (
            token.token_type not in (TokenType.STRING, TokenType.IDENTIFIER)
            and token.text.lower() == name
            and tokens[i + 1].token_type == TokenType.L_PAREN
            and not (i and tokens[i - 1].token_type == TokenType.DOT)
        ):
            out += [sql[pos : token.start], f"{schema}."]
            pos = token.start
    return "".join(out) + sql[pos:]
