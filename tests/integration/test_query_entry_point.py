"""`datalake query` runs the docs' Example 1 and Example 2 verbatim on the local warehouse.

Rows are inserted directly here; the expected answers are computed in plain Python.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

import pytest
from query_cli import query_file

from datalake.entity_schema import ENTITY_COLUMNS

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "include" / "sql" / "examples"
# The two example files are the public docs page's queries, copied verbatim (checked against the
# page when they were copied); their digests make any later edit of them fail here.
VERBATIM_SHA256 = {
    "docs_example_1.sql": "4d229663b2aaaffac34346e0b306ed393e788575f62fff1df5d06ae4d6ac679f",
    "docs_example_2.sql": "56caa0074a83cb7909d7fe7a54b98a714620aa4a19c44c2aef6708918806c4d0",
}


def _row(
    n: int,
    entity: str,
    op: str,
    when: datetime,
    journey: str,
    created: datetime,
    org="739224",
    schema="opportunity",
):
    detail = {
        "entity": entity,
        "org": org,
        "operation": op,
        "payload": {
            "_id": entity,
            "_schema": schema,
            "_created_at": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "source": {"type": "link", "title": journey},
        },
    }
    return {
        "id": f"evt-{n}",
        "detail-type": "EntityOperation",
        "operation": op,
        "source": "entity-api",
        "account": org,
        "time": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "region": "eu-central-1",
        "activity_id": f"01J{n:023d}",
        "entity_id": entity,
        "detail": json.dumps(detail, separators=(",", ":")),
        "schema": schema,
        "month": str(when.month),
        "year": str(when.year),
    }


def _insert(settings, rows):
    from datalake.warehouse import connect

    cols = ", ".join(f'"{c}"' for c in ENTITY_COLUMNS)
    with connect(settings) as conn:
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO epilot_datalake.entity_operations ({cols}) "
                f"VALUES ({', '.join(['%s'] * len(ENTITY_COLUMNS))})",
                [[r[c] for c in ENTITY_COLUMNS] for r in rows],
            )
        conn.commit()


@pytest.fixture
def sample_rows(clean_platform):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    last_month = datetime(
        now.year - (now.month == 1), (now.month - 2) % 12 + 1, 15, 9, 0, tzinfo=timezone.utc
    )
    rows = [
        _row(1, "e1", "createEntity", last_month, "Wallbox Journey", last_month),
        _row(
            2,
            "e1",
            "updateEntity",
            now.replace(day=1, hour=0, minute=5),
            "Wallbox Journey",
            last_month,
        ),
        _row(
            3,
            "e2",
            "createEntity",
            now.replace(day=1, hour=1),
            "Energieausweis Journey",
            now.replace(day=1, hour=1),
        ),
        _row(
            4,
            "e2",
            "deleteEntity",
            now.replace(day=1, hour=2),
            "Energieausweis Journey",
            now.replace(day=1, hour=1),
        ),
        _row(
            5,
            "e3",
            "createEntity",
            now.replace(day=1, hour=3),
            "Wallbox Journey",
            now.replace(day=1, hour=3),
        ),
        _row(
            6,
            "e4",
            "createEntity",
            now.replace(day=1, hour=4),
            "Wallbox Journey",
            now.replace(day=1, hour=4),
            schema="order",
        ),
    ]
    _insert(clean_platform, rows)
    return rows


def test_example_files_are_still_the_docs_verbatim():
    for name, digest in VERBATIM_SHA256.items():
        text = (EXAMPLES / name).read_bytes().strip()
        assert hashlib.sha256(text).hexdigest() == digest, f"{name} no longer the docs' text"


def test_example_1_counts_creations_per_journey_and_month(sample_rows):
    expected = Counter()
    for r in sample_rows:
        if r["schema"] == "opportunity" and r["operation"] == "createEntity":
            payload = json.loads(r["detail"])["payload"]
            created = datetime.strptime(payload["_created_at"], "%Y-%m-%dT%H:%M:%S.000Z")
            expected[(payload["source"]["title"], created.year, created.month)] += 1
    got = query_file(EXAMPLES / "docs_example_1.sql")
    assert {
        (g["journey title"], int(g["year_"]), int(g["month_"])): g["count"] for g in got
    } == dict(expected)


def test_example_2_lists_active_opportunities_of_this_month(sample_rows):
    now = datetime.now(timezone.utc)
    span = [
        r
        for r in sample_rows
        if r["schema"] == "opportunity"
        and r["year"] == str(now.year)
        and r["month"] == str(now.month)
    ]
    by_entity = defaultdict(list)
    for r in span:
        by_entity[r["entity_id"]].append(r)
    expected = {
        e for e, rs in by_entity.items() if not any(r["operation"] == "deleteEntity" for r in rs)
    }
    got = query_file(EXAMPLES / "docs_example_2.sql")
    assert {g["entity_id"] for g in got} == expected == {"e1", "e3"}
    assert all(json.loads(g["detail"])["payload"]["_schema"] == "opportunity" for g in got)


def test_query_formats_and_errors(sample_rows):
    datalake = str(Path(sys.executable).parent / "datalake")
    out = subprocess.run(
        [
            datalake,
            "query",
            'SELECT "ID" FROM entity_operations ORDER BY 1 LIMIT 2',
            "--format",
            "csv",
        ],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["id", "evt-1", "evt-2"]
    table = subprocess.run(
        [datalake, "query", "SELECT 1 AS one"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    assert "one" in table.stdout and "(1 row)" in table.stdout
    bad = subprocess.run(
        [datalake, "query", "SELECT nope FROM entity_operations"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    assert bad.returncode == 2 and "SQL error" in bad.stderr and "nope" in bad.stderr


def test_query_is_read_only(sample_rows):
    import psycopg

    from datalake.query import run_query

    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        run_query("DELETE FROM entity_operations")
