"""The floor: the least work that turns the same landing objects into rows in the same
PostgreSQL, with the fastest stock tools, and nothing of what the pipeline adds (no
normalisation, no dedupe, no validation, no quarantine, no staging, no merge, no Parquet).

Per object: GET from S3, gunzip (by magic number), split into records (NDJSON: newlines;
concatenated JSON: before every ``{"version":``), parse blocks of 256 records with
``pyarrow.json.read_json`` against an explicit schema (the envelope scalars and the
``detail`` fields that become columns; everything else is parsed but not converted); a
block pyarrow (or a UTF-8 check) rejects is halved until its broken records are isolated
and skipped (a few extra pyarrow calls per broken record). The 13 columns are projected
with pyarrow compute (``detail`` = the record's text, ``year``/``month`` = slices of
``time``) and streamed with ``COPY ... FROM STDIN (FORMAT binary)``, encoded by pgpq (the
same ``datalake.pgcopy`` the pipeline's load uses), into a plain 13-column table without
keys or indexes. ``copy_format="csv"`` gives a floor with pyarrow's CSV writer and
``FORMAT csv``, measured beside it for comparison only (the figures are in docs/benchmarks.md).
Objects are split over as many processes as the pipeline's workers.
"""

from __future__ import annotations

import gzip
import io
import time

from datalake.entity_schema import ENTITY_COLUMNS

FLOOR_TABLE = "bench_floor.entity_operations_floor"
BLOCK_RECORDS = 256


def create_table_sql() -> str:
    cols = ", ".join(f'"{c}" varchar' for c in ENTITY_COLUMNS)
    return (
        f"CREATE SCHEMA IF NOT EXISTS bench_floor; DROP TABLE IF EXISTS {FLOOR_TABLE}; "
        f"CREATE TABLE {FLOOR_TABLE} ({cols})"
    )


def _schema():
    import pyarrow as pa

    s = pa.string()
    detail = pa.struct(
        [
            ("entity", s),
            ("org", s),
            ("activity_id", s),
            ("operation", s),
            ("params", pa.struct([("slug", s)])),
        ]
    )
    return pa.schema(
        [
            ("id", s),
            ("detail-type", s),
            ("source", s),
            ("time", s),
            ("region", s),
            ("detail", detail),
        ]
    )


_START = b'{"version":'


def split(data: bytes) -> list[bytes]:
    if data.count(b"\n", 0, 1_000_000) > 1:
        return [r for r in data.split(b"\n") if r.strip()]
    parts = data.split(_START)
    head = [parts[0]] if parts[0].strip() else []
    return head + [_START + p for p in parts[1:]]


def _read(block: bytes, options):
    import pyarrow.json as pj

    return pj.read_json(
        io.BytesIO(block), parse_options=options, read_options=pj.ReadOptions(use_threads=False)
    )


def parse_block(records: list[bytes], options) -> list[tuple]:
    """[(table, records)] for one block; a block that fails is halved until the broken
    records are isolated and skipped (a few pyarrow calls per broken record)."""
    import pyarrow as pa

    try:
        # A top-level non-object (`null`) crashes pyarrow 26's reader: never hand it one.
        if not all(r[:1] == b"{" for r in records):
            raise ValueError("not an object")
        block = b"\n".join(records)
        block.decode("utf-8")  # pyarrow does not check UTF-8 inside strings; PostgreSQL does
        table = _read(block, options)
        if table.num_rows == len(records):
            return [(table, records)]
    except (pa.ArrowInvalid, ValueError):
        pass
    if len(records) == 1:
        return []
    half = len(records) // 2
    return parse_block(records[:half], options) + parse_block(records[half:], options)


def to_columns(table, records: list[bytes]):
    import pyarrow as pa
    import pyarrow.compute as pc

    detail = table.column("detail").combine_chunks()
    time_col = table.column("time")
    columns = {
        "id": table.column("id"),
        "detail-type": table.column("detail-type"),
        "operation": pc.struct_field(detail, "operation"),
        "source": table.column("source"),
        "account": pc.struct_field(detail, "org"),
        "time": time_col,
        "region": table.column("region"),
        "activity_id": pc.struct_field(detail, "activity_id"),
        "entity_id": pc.struct_field(detail, "entity"),
        "detail": pa.array(records, pa.binary()).cast(pa.string()),
        "schema": pc.struct_field(pc.struct_field(detail, "params"), "slug"),
        "month": pc.utf8_slice_codeunits(time_col, 5, 7),
        "year": pc.utf8_slice_codeunits(time_col, 0, 4),
    }
    return pa.table(columns)


def parse_objects(spec: dict) -> dict:
    """Worker entry point: read, parse and COPY the objects in ``spec['keys']``."""
    import psycopg
    import pyarrow as pa
    import pyarrow.json as pj

    from datalake.config import load_settings
    from datalake.pgcopy import copy_arrow
    from datalake.s3 import s3_client
    from datalake.warehouse import psycopg_uri

    settings = load_settings()
    client = s3_client(settings)
    options = pj.ParseOptions(explicit_schema=_schema(), unexpected_field_behavior="ignore")
    t0 = time.perf_counter()
    tally = {"records": 0, "parse_seconds": 0.0}

    def parsed_tables():
        for key in spec["keys"]:
            p0 = time.perf_counter()
            body = client.get_object(Bucket=settings.landing_bucket, Key=key)["Body"].read()
            data = gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body
            records = split(data)
            tally["records"] += len(records)
            for i in range(0, len(records), BLOCK_RECORDS * 16):
                chunk = records[i : i + BLOCK_RECORDS * 16]
                tables = []
                for j in range(0, len(chunk), BLOCK_RECORDS):
                    for table, kept in parse_block(chunk[j : j + BLOCK_RECORDS], options):
                        tables.append(to_columns(table, kept))
                if not tables:
                    continue
                out = pa.concat_tables(tables)
                tally["parse_seconds"] += time.perf_counter() - p0
                yield out  # encoded and sent to PostgreSQL before the next block is parsed
                p0 = time.perf_counter()
            tally["parse_seconds"] += time.perf_counter() - p0

    with psycopg.connect(psycopg_uri(settings.warehouse_uri)) as conn:
        if spec.get("copy_format", "binary") == "csv":
            rows = _copy_csv(conn, parsed_tables())
        else:
            rows = copy_arrow(conn, FLOOR_TABLE, ENTITY_COLUMNS, parsed_tables())
        conn.commit()
    return {
        "result": {
            "objects": len(spec["keys"]),
            "records": tally["records"],
            "rows": rows,
            "parse_seconds": tally["parse_seconds"],
        },
        "seconds": time.perf_counter() - t0,
    }


def _copy_csv(conn, tables) -> int:
    """The earlier floor's COPY, kept for comparison: pyarrow's CSV writer and FORMAT csv."""
    import pyarrow.csv as pacsv

    options = pacsv.WriteOptions(include_header=False, quoting_style="all_valid")  # '' stays ''
    cols = ", ".join(f'"{c}"' for c in ENTITY_COLUMNS)
    rows = 0
    with conn.cursor().copy(f"COPY {FLOOR_TABLE} ({cols}) FROM STDIN WITH (FORMAT csv)") as copy:
        for table in tables:
            buf = io.BytesIO()
            pacsv.write_csv(table.select(list(ENTITY_COLUMNS)), buf, options)
            copy.write(buf.getvalue())
            rows += table.num_rows
    return rows
