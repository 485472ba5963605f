"""The value kinds of payload attributes, how two kinds widen into one column type, and the safe
identifiers made from attribute names and schema slugs. Pure functions: no database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

# What one JSON value is, as the inference query classifies it (include/sql/typed/infer.sql).
BOOLEAN, BIGINT, NUMERIC, TIMESTAMP, TEXT, JSON, RELATION = (
    "boolean",
    "bigint",
    "numeric",
    "timestamptz",
    "text",
    "json",
    "relation",
)
KINDS = (BOOLEAN, BIGINT, NUMERIC, TIMESTAMP, TEXT, JSON, RELATION)

# The timestamps the inference takes (ISO-8601 date and time, optional seconds, fraction of up
# to 9 digits and offset), as shapes: the string with every digit written 0. Comparing a
# string's shape with this set costs far less than a pattern match over every string value.
TIMESTAMP_SHAPES = tuple(
    date_time + seconds + offset
    for date_time in ("0000-00-00T00:00", "0000-00-00 00:00")
    for seconds in ("", ":00", *(":00." + "0" * digits for digits in range(1, 10)))
    for offset in ("", "Z", "+00", "+0000", "+00:00", "-00", "-0000", "-00:00")
)

# Column types by warehouse. JSON values (objects, arrays, relation lists) are kept as JSON text.
# Redshift: VARCHAR counts bytes and TEXT would be VARCHAR(256), so text is VARCHAR(65535), the
# width of entity_operations.detail (no single value of a payload can be longer); NUMERIC
# without precision is NUMERIC(18,0) there, so numbers get an explicit scale.
POSTGRES_TYPES = {
    BOOLEAN: "boolean",
    BIGINT: "bigint",
    NUMERIC: "numeric",
    TIMESTAMP: "timestamptz",
    TEXT: "text",
    JSON: "text",
    RELATION: "text",
}
REDSHIFT_TYPES = {
    BOOLEAN: "BOOLEAN",
    BIGINT: "BIGINT",
    NUMERIC: "NUMERIC(38,12)",
    TIMESTAMP: "TIMESTAMPTZ",
    TEXT: "VARCHAR(65535)",
    JSON: "VARCHAR(65535)",
    RELATION: "VARCHAR(65535)",
}

# The standard columns, first in every typed table: (payload attribute, column, default kind).
# entity_id is the entity's id (current_entities.entity_id), not read from the payload.
STANDARD_COLUMNS = (
    ("_title", "title", TEXT),
    ("_created_at", "created_at", TIMESTAMP),
    ("_updated_at", "updated_at", TIMESTAMP),
    ("_tags", "tags", JSON),
)
ENTITY_ID_ATTRIBUTE = "_id"
RESERVED_COLUMNS = frozenset({"entity_id", *(column for _, column, _ in STANDARD_COLUMNS)})
# Tables of the organisation's schema that are not entity schemas.
CATALOG_TABLE, RELATIONS_TABLE = "_attributes", "_relations"
RESERVED_TABLES = frozenset({CATALOG_TABLE, RELATIONS_TABLE})

# PostgreSQL truncates identifiers at 63 bytes (Redshift at 127): names are cut to fit both,
# with room for a "_NN" suffix.
MAX_IDENTIFIER = 59


def widen(current: str | None, seen: str | None) -> str | None:
    """The narrowest column type that holds values of both kinds; None means nothing seen yet.
    Integers widen to numeric, a relation list among other objects to JSON, anything else that
    differs to text (every value can be read as text: nothing is lost)."""
    if current is None or current == seen:
        return seen
    if seen is None:
        return current
    if {current, seen} == {BIGINT, NUMERIC}:
        return NUMERIC
    if {current, seen} == {JSON, RELATION}:
        return JSON
    return TEXT


def same_storage(a: str, b: str) -> bool:
    """Whether a column of kind a already stores kind b without change (JSON kinds are text)."""
    return POSTGRES_TYPES[a] == POSTGRES_TYPES[b]


def safe_identifier(name: str) -> str:
    """A lower-case identifier of letters, digits and underscores that needs no quoting in
    PostgreSQL or Redshift; never empty, never starting with a digit."""
    ident = (
        re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
        if not name.startswith("_")
        else "_" + re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
    )
    ident = ident[:MAX_IDENTIFIER].rstrip("_") or "attribute"
    return f"a_{ident}" if ident[0].isdigit() else ident


def unique_identifier(name: str, taken: set[str]) -> str:
    """safe_identifier(name), with _2, _3, … when another attribute already has it."""
    base = safe_identifier(name)
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}_{n}"
    return candidate


@dataclass
class Attribute:
    """One catalog row: a payload attribute of one entity schema and the column holding it."""

    entity_schema: str
    table_name: str
    attribute: str
    column_name: str
    kind: str
    ordinal: int
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    rows_with_value: int = 0
    values_not_fitting: int = 0
    widened_from: str | None = None
    added: bool = False  # not yet a column of the table

    @property
    def standard(self) -> bool:
        return self.column_name in RESERVED_COLUMNS
