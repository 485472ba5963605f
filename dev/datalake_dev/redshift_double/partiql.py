"""Redshift's SUPER type and the PartiQL this project uses, on PostgreSQL's jsonb.

Modelled (Redshift Database Developer Guide: "SUPER type", "JSON_PARSE function",
"JSON_SERIALIZE function", "JSON_TYPEOF function", "SUPER type information functions",
"Unpivoting", "Navigation" / "Unnesting queries" of "Querying semistructured data"):

* the type ``SUPER`` (a column or cast) is ``jsonb``;
* ``TRY_CAST(expression AS type)`` ("TRY_CAST function") is the cast, or NULL where the value
  does not convert;
* ``JSON_PARSE``, ``JSON_SERIALIZE``, ``JSON_TYPEOF`` and the ``IS_*`` type functions are
  functions of schema ``redshift_double`` (catalog.py), with Redshift's lax semantics: a test
  of the wrong type is false, never an error;
* ``FROM t, UNPIVOT <super expression> AS v AT k``: one row per attribute of an object,
  nothing for any other value;
* the aliases such a FROM item binds (``v``) are SUPER: ``v.name`` / ``v."Name"`` navigate
  (NULL when absent or not an object), ``v::VARCHAR`` is a string's text (NULL for any
  other value), and ``, v.name AS e`` in FROM unnests an array (nothing for a non-array).

Only navigation from aliases bound by UNPIVOT or by unnesting is understood: the double does
not know which columns of a table are SUPER, so ``t.col.attr`` on a table column is left to
PostgreSQL, which rejects it. Not modelled: the serialised text's whitespace (PostgreSQL's
jsonb adds a space after ``:`` and ``,``), numbers beyond jsonb's numeric, case-insensitive
attribute lookup (navigation matches attribute names exactly; unquoted names are folded to
lower case).
"""

from __future__ import annotations

from sqlglot.tokens import Tokenizer, TokenType

SUPER_FUNCTIONS = {
    "JSON_PARSE",
    "JSON_SERIALIZE",
    "JSON_TYPEOF",
    "IS_ARRAY",
    "IS_BIGINT",
    "IS_BOOLEAN",
    "IS_DECIMAL",
    "IS_FLOAT",
    "IS_INTEGER",
    "IS_OBJECT",
    "IS_SCALAR",
    "IS_SMALLINT",
    "IS_VARCHAR",
}
TEXT_TYPES = {"VARCHAR", "CHAR", "TEXT", "CHARACTER", "NVARCHAR", "BPCHAR"}

FUNCTIONS_SQL = """
CREATE OR REPLACE FUNCTION redshift_double.json_parse(doc text) RETURNS jsonb
    LANGUAGE sql IMMUTABLE AS $$ SELECT doc::jsonb $$;
CREATE OR REPLACE FUNCTION redshift_double.json_serialize(v jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT v::text $$;
CREATE OR REPLACE FUNCTION redshift_double.json_typeof(v jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT jsonb_typeof(v) $$;
CREATE OR REPLACE FUNCTION redshift_double.is_array(v jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(jsonb_typeof(v) = 'array', false) $$;
CREATE OR REPLACE FUNCTION redshift_double.is_object(v jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(jsonb_typeof(v) = 'object', false) $$;
CREATE OR REPLACE FUNCTION redshift_double.is_boolean(v jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(jsonb_typeof(v) = 'boolean', false) $$;
CREATE OR REPLACE FUNCTION redshift_double.is_varchar(v jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(jsonb_typeof(v) = 'string', false) $$;
CREATE OR REPLACE FUNCTION redshift_double.is_scalar(v jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS
    $$ SELECT coalesce(jsonb_typeof(v) NOT IN ('array', 'object'), false) $$;
CREATE OR REPLACE FUNCTION redshift_double.super_integral(v jsonb, lo numeric, hi numeric)
    RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_typeof(v) = 'number' AND v::text ~ '^-?[0-9]+$'
                    AND v::numeric BETWEEN lo AND hi, false) $$;
CREATE OR REPLACE FUNCTION redshift_double.is_bigint(v jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS
    $$ SELECT redshift_double.super_integral(v, -9223372036854775808, 9223372036854775807) $$;
CREATE OR REPLACE FUNCTION redshift_double.is_integer(v jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS
    $$ SELECT redshift_double.super_integral(v, -2147483648, 2147483647) $$;
CREATE OR REPLACE FUNCTION redshift_double.is_smallint(v jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS $$ SELECT redshift_double.super_integral(v, -32768, 32767) $$;
-- IS_DECIMAL is true for integers of the 64-bit range too; JSON numbers with a fraction or an
-- exponent are read as DECIMAL here (IS_FLOAT false).
CREATE OR REPLACE FUNCTION redshift_double.is_decimal(v jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(jsonb_typeof(v) = 'number', false) $$;
CREATE OR REPLACE FUNCTION redshift_double.is_float(v jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS $$ SELECT v IS NOT NULL AND false $$;
CREATE OR REPLACE FUNCTION redshift_double.super_text(v jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE AS
    $$ SELECT CASE WHEN jsonb_typeof(v) = 'string' THEN v #>> '{}' END $$;
CREATE OR REPLACE FUNCTION redshift_double.unpivot(v jsonb, OUT attr text, OUT value jsonb)
    RETURNS SETOF record LANGUAGE sql IMMUTABLE AS $$
    SELECT key, value FROM jsonb_each(CASE WHEN jsonb_typeof(v) = 'object' THEN v END) $$;
CREATE OR REPLACE FUNCTION redshift_double.unnest(v jsonb) RETURNS SETOF jsonb
    LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_array_elements(CASE WHEN jsonb_typeof(v) = 'array' THEN v END) $$;
-- TRY_CAST(expression AS type): the cast, or NULL where it fails ("TRY_CAST function").
CREATE OR REPLACE FUNCTION redshift_double.try_cast(v text, target anyelement)
    RETURNS anyelement LANGUAGE plpgsql STABLE AS $$
BEGIN
    EXECUTE format('SELECT %L::%s', v, pg_typeof(target)) INTO target;
    RETURN target;
EXCEPTION WHEN data_exception THEN
    RETURN NULL;
END $$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA redshift_double TO PUBLIC;
"""


def uses_super(sql: str) -> bool:
    """Whether the statement names SUPER, UNPIVOT, a SUPER function or TRY_CAST (a cheap
    pre-check)."""
    upper = sql.upper()
    return any(word in upper for word in ("SUPER", "UNPIVOT", "JSON_", "IS_", "TRY_CAST"))


def _tokens(sql: str) -> list:
    try:
        return Tokenizer().tokenize(sql)
    except Exception:  # PostgreSQL decides
        return []


def _is_word(token, word: str) -> bool:
    return token.token_type not in (TokenType.STRING, TokenType.IDENTIFIER) and (
        token.text.upper() == word
    )


def _name(token) -> str:
    """An attribute name as Redshift reads it: quoted as written, unquoted in lower case."""
    return token.text if token.token_type == TokenType.IDENTIFIER else token.text.lower()


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def to_postgres(sql: str) -> str:
    """The statement with SUPER and its PartiQL written for PostgreSQL (unchanged if none)."""
    tokens = _tokens(sql)
    if not tokens:
        return sql
    aliases = _super_aliases(tokens)
    try_cast_as = _try_cast_as(tokens)
    out: list[str] = []
    pos = 0  # characters of sql already copied or replaced
    i = 0

    def emit(upto_token: int, text: str) -> None:
        nonlocal pos
        out.append(sql[pos : tokens[upto_token].start])
        out.append(text)

    while i < len(tokens):
        tok = tokens[i]
        if i in try_cast_as:  # TRY_CAST(x AS type) -> redshift_double.try_cast(x, NULL::type)
            emit(i, ", NULL::")
            pos = tok.end + 1
            i += 1
            continue
        if _is_word(tok, "TRY_CAST") and i + 1 < len(tokens):
            emit(i, "redshift_double.try_cast")
            pos = tok.end + 1
            i += 1
            continue
        if _is_word(tok, "UNPIVOT"):
            end, expr = _path(tokens, i + 1, aliases, sql)
            # UNPIVOT <expr> AS <value> AT <attribute>
            if (
                end + 3 < len(tokens)
                and _is_word(tokens[end], "AS")
                and _is_word(tokens[end + 2], "AT")
            ):
                value, attr = tokens[end + 1].text, tokens[end + 3].text
                lateral = f"LATERAL redshift_double.unpivot({expr})"
                emit(i, f"{lateral} AS {value}_unpivot({attr}, {value})")
                pos = tokens[end + 3].end + 1
                i = end + 4
                continue
        if (
            tok.token_type == TokenType.COMMA
            and i + 1 < len(tokens)
            and tokens[i + 1].text.lower() in aliases
            and _in_from(tokens, i)
        ):
            end, expr = _path(tokens, i + 1, aliases, sql)
            if end + 1 < len(tokens) and _is_word(tokens[end], "AS"):
                alias = tokens[end + 1].text
                emit(i, f", LATERAL redshift_double.unnest({expr}) AS {alias}_unnest({alias})")
                pos = tokens[end + 1].end + 1
                i = end + 2
                continue
        if (
            tok.token_type == TokenType.VAR
            and tok.text.lower() in aliases
            and not _qualified(tokens, i)
        ):
            end, expr = _path(tokens, i, aliases, sql)
            if (
                end + 1 < len(tokens)
                and tokens[end].token_type == TokenType.DCOLON
                and tokens[end + 1].text.upper() in TEXT_TYPES
            ):
                expr = f"redshift_double.super_text({expr})"
            emit(i, expr)
            pos = tokens[end - 1].end + 1
            i = end
            continue
        if (
            tok.text.upper() in SUPER_FUNCTIONS
            and i + 1 < len(tokens)
            and (
                tokens[i + 1].token_type == TokenType.L_PAREN
                and tok.token_type not in (TokenType.STRING, TokenType.IDENTIFIER)
            )
        ):
            emit(i, f"redshift_double.{tok.text.lower()}")
            pos = tok.end + 1
        elif _is_word(tok, "SUPER"):
            emit(i, "jsonb")
            pos = tok.end + 1
        i += 1
    out.append(sql[pos:])
    return "".join(out)


def _try_cast_as(tokens) -> set[int]:
    """The positions of the AS of each TRY_CAST( ... AS type ), at the call's own depth."""
    found: set[int] = set()
    for i, tok in enumerate(tokens[:-1]):
        if not _is_word(tok, "TRY_CAST") or tokens[i + 1].token_type != TokenType.L_PAREN:
            continue
        depth = 0
        for j in range(i + 1, len(tokens)):
            kind = tokens[j].token_type
            depth += (kind == TokenType.L_PAREN) - (kind == TokenType.R_PAREN)
            if depth == 1 and _is_word(tokens[j], "AS"):
                found.add(j)
                break
            if depth == 0:
                break
    return found


def _super_aliases(tokens) -> set[str]:
    """The aliases UNPIVOT (value) and unnesting FROM items bind, in order of appearance."""
    aliases: set[str] = set()
    for i, tok in enumerate(tokens):
        if _is_word(tok, "UNPIVOT"):
            j = i + 1
            while j < len(tokens) and not _is_word(tokens[j], "AS"):
                j += 1
            if j + 1 < len(tokens):
                aliases.add(tokens[j + 1].text.lower())
        elif (
            tok.token_type == TokenType.COMMA
            and i + 1 < len(tokens)
            and tokens[i + 1].text.lower() in aliases
            and _in_from(tokens, i)
        ):
            j = i + 1
            while j < len(tokens) and tokens[j].token_type in (
                TokenType.VAR,
                TokenType.DOT,
                TokenType.IDENTIFIER,
            ):
                j += 1
            if j + 1 < len(tokens) and _is_word(tokens[j], "AS"):
                aliases.add(tokens[j + 1].text.lower())
    return aliases


def _path(tokens, i: int, aliases: set[str], sql: str) -> tuple[int, str]:
    """A navigation path starting at token i: (index after it, PostgreSQL expression)."""
    root = tokens[i]
    j = i + 1
    if root.text.lower() in aliases:
        expr = root.text.lower()
        while (
            j + 1 < len(tokens)
            and tokens[j].token_type == TokenType.DOT
            and tokens[j + 1].token_type in (TokenType.VAR, TokenType.IDENTIFIER)
        ):
            expr = f"({expr} -> {_quote_literal(_name(tokens[j + 1]))})"
            j += 2
        return j, expr
    # alias.column (a SUPER column): what PostgreSQL reads as written
    while (
        j + 1 < len(tokens)
        and tokens[j].token_type == TokenType.DOT
        and tokens[j + 1].token_type in (TokenType.VAR, TokenType.IDENTIFIER)
    ):
        j += 2
    return j, sql[root.start : tokens[j - 1].end + 1]


def _qualified(tokens, i: int) -> bool:
    """Whether token i follows a dot (a column of a table alias, not an alias itself)."""
    return i > 0 and tokens[i - 1].token_type == TokenType.DOT


def _in_from(tokens, i: int) -> bool:
    """Whether token i is in a FROM clause (the nearest FROM/SELECT/WHERE before it is FROM)."""
    for tok in reversed(tokens[:i]):
        word = tok.text.upper() if tok.token_type != TokenType.STRING else ""
        if word == "FROM":
            return True
        if word in ("SELECT", "WHERE", "GROUP", "ORDER", "ON", "SET", "VALUES"):
            return False
    return False
