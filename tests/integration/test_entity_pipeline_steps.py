"""The hourly entity pipeline's steps, run the way the DAG chains them, on real S3 and
PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from entity_truth import expected_current, expected_rows

from datalake.s3 import s3_client
from datalake.warehouse import connect
from datalake_dev.producer import ProducerConfig, simulate, upload

pytestmark = pytest.mark.integration

START = datetime(2026, 10, 31, 20, tzinfo=timezone.utc)


def run_hours(settings, hours):
    from datalake.entity.stream import ENTITY_STREAM

    client = s3_client(settings)
    return [ENTITY_STREAM.run_hour(client, settings, h) for h in hours]


def warehouse(settings, table):
    with connect(settings) as conn:
        cur = conn.execute(f"SELECT * FROM epilot_datalake.{table}")
        cols = [d.name for d in cur.description]
        return {r[0]: dict(zip(cols, r, strict=False)) for r in cur.fetchall()}


@pytest.mark.parametrize("chunk_rows", [None, "97"], ids=["one-chunk", "chunks-of-97-rows"])
def test_hours_load_exactly_the_valid_events_once(clean_platform, monkeypatch, chunk_rows):
    if chunk_rows:
        monkeypatch.setenv("DATALAKE_CHUNK_ROWS", chunk_rows)
    objects = simulate(START, 6, ProducerConfig(seed=7))
    upload(objects, s3_client(clean_platform), clean_platform.landing_bucket)
    manifests = run_hours(clean_platform, [START + timedelta(hours=i) for i in range(6)])

    truth = expected_rows(objects)
    loaded = warehouse(clean_platform, "entity_operations")
    assert set(loaded) == set(truth)
    for event_id, row in truth.items():
        got = loaded[event_id]
        assert (
            got["time"],
            got["entity_id"],
            got["operation"],
            got["account"],
            got["year"],
            got["month"],
        ) == (
            row["time"],
            row["entity_id"],
            row["operation"],
            row["account"],
            row["year"],
            row["month"],
        )
        assert json.loads(got["detail"]) == row["detail"]
    current = {r["entity_id"]: r for r in warehouse(clean_platform, "current_entities").values()}
    assert {e: r["id"] for e, r in current.items()} == {
        e: r["id"] for e, r in expected_current(truth).items()
    }
    for m in manifests:
        assert m["records_read"] == m["loaded"] + m["duplicates"] + m["quarantined_total"]
    assert sum(m["loaded"] for m in manifests) == len(truth)
    assert sum(m["quarantined_total"] for m in manifests) == sum(
        len(o.broken) for o in objects if o.stream == "entity_operations"
    )
