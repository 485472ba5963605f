"""Synthetic warehouse history, written straight into the tables with COPY (not through the
pipeline): for the snapshot and the query benchmarks.

Rows are valid entity_operations rows (13 string columns, fixed-width times, unpadded
month/year). Secondary indexes and the primary key are dropped for the bulk COPY and
recreated afterwards exactly as they were (their definitions are read from the catalogue),
so the tables end up indexed as ``include/sql/warehouse/ddl.sql`` says.
"""

from __future__ import annotations

import json
import os
import random
from datetime import datetime, timedelta, timezone

from datalake.entity_schema import ENTITY_COLUMNS

TABLE = "epilot_datalake.entity_operations"
# Quoted for the COPY column list ("detail-type" needs it); the names and their order are the
# table's (datalake.entity_schema), as the floor uses them.
COLUMNS = tuple(f'"{c}"' for c in ENTITY_COLUMNS)
SCHEMAS = ("opportunity", "contact", "order", "account", "product")
SCHEMA_WEIGHTS = (40, 25, 20, 10, 5)
ORGS = ("739224", "728134")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def csv_value(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def uuids(n: int) -> list[str]:
    raw = os.urandom(16 * n).hex()
    out = []
    for i in range(n):
        h = raw[32 * i : 32 * i + 32]
        out.append(f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}")
    return out


def random_ulid(rng: random.Random) -> str:
    v = rng.getrandbits(128)
    return "01" + "".join(_CROCKFORD[(v >> (5 * i)) & 31] for i in range(24))


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


class Entities:
    """A fixed population of entities: id, org, schema, a small detail and a realistic one."""

    def __init__(self, n: int, rng: random.Random, big_details: list[str] | None = None):
        self.ids = uuids(n)
        self.orgs = [ORGS[0] if rng.random() < 0.6 else ORGS[1] for _ in range(n)]
        self.schemas = rng.choices(SCHEMAS, SCHEMA_WEIGHTS, k=n)
        self.big = big_details or []

    def detail(self, i: int, operation: str, rng: random.Random, big: bool) -> str:
        if big and self.big:
            return self.big[rng.randrange(len(self.big))]
        return json.dumps(
            {
                "entity": self.ids[i],
                "org": self.orgs[i],
                "operation": operation,
                "params": {"id": self.ids[i], "slug": self.schemas[i]},
                "payload": {
                    "_id": self.ids[i],
                    "_schema": self.schemas[i],
                    "_org": self.orgs[i],
                    "_title": f"Entity {i}",
                },
            },
            separators=(",", ":"),
        )


def row(
    eid: str,
    operation: str,
    entities: Entities,
    i: int,
    t: datetime,
    rng: random.Random,
    big: bool = False,
    event_id: str | None = None,
    detail_type: str = "EntityOperation",
    stamp: str | None = None,
) -> tuple:
    return (
        event_id or uuids(1)[0],
        detail_type,
        operation,
        "entity-api",
        entities.orgs[i],
        stamp or iso(t),
        "eu-central-1",
        random_ulid(rng),
        eid,
        entities.detail(i, operation, rng, big),
        entities.schemas[i],
        str(t.month),
        str(t.year),
    )


def csv_line(values: tuple) -> str:
    return ",".join(csv_value(v) for v in values) + "\n"


def copy_rows(conn, table: str, columns: tuple[str, ...], lines, chunk: int = 20_000) -> int:
    """COPY an iterable of CSV lines; returns the number of rows."""
    n = 0
    buf: list[str] = []
    with conn.cursor().copy(
        f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)"
    ) as copy:
        for line in lines:
            buf.append(line)
            if len(buf) >= chunk:
                copy.write("".join(buf).encode("utf-8"))
                n += len(buf)
                buf = []
        if buf:
            copy.write("".join(buf).encode("utf-8"))
            n += len(buf)
    return n


class BulkLoad:
    """Drop a table's indexes (PK included) for a bulk COPY, then recreate them as they were."""

    def __init__(self, conn, schema: str, table: str):
        self.conn, self.schema, self.table = conn, schema, table

    def __enter__(self):
        conn = self.conn
        self.constraints = conn.execute(
            "SELECT conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "JOIN pg_class t ON t.oid = c.conrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE n.nspname = %s AND t.relname = %s AND c.contype = 'p'",
            (self.schema, self.table),
        ).fetchall()
        self.indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s AND tablename = %s "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            (self.schema, self.table),
        ).fetchall()
        for name, _ in self.indexes:
            conn.execute(f'DROP INDEX "{self.schema}"."{name}"')
        for name, _ in self.constraints:
            conn.execute(f'ALTER TABLE "{self.schema}"."{self.table}" DROP CONSTRAINT "{name}"')
        conn.commit()
        return self

    def __exit__(self, *exc):
        conn = self.conn
        if exc[0] is not None:
            conn.rollback()
        conn.execute("SET maintenance_work_mem = '1GB'")
        for name, definition in self.constraints:
            conn.execute(
                f'ALTER TABLE "{self.schema}"."{self.table}" ADD CONSTRAINT "{name}" {definition}'
            )
        for _, definition in self.indexes:
            conn.execute(definition)
        conn.commit()
        conn.execute(f'ANALYZE "{self.schema}"."{self.table}"')
        conn.commit()
        return False


def month_start(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=timezone.utc)


def add_months(t: datetime, k: int) -> datetime:
    m = t.year * 12 + (t.month - 1) + k
    return month_start(m // 12, m % 12 + 1)


def random_time_in_month(
    start: datetime, rng: random.Random, end: datetime | None = None
) -> datetime:
    end = end or add_months(start, 1)
    span = int((end - start).total_seconds() * 1000)
    return start + timedelta(milliseconds=rng.randrange(max(span, 1)))
