"""DAG quarantine_replay under real Airflow: fixed records load, broken ones stay quarantined,
the manifest accounts for every re-read record, and a second replay doubles nothing."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import datetime, timedelta, timezone

import pytest
from dagrun import run_dag
from test_entity_pipeline_cases import enc, event, put, run

from datalake.s3 import iter_keys, s3_client
from datalake.warehouse import connect

pytestmark = pytest.mark.integration

HOUR = datetime(2026, 11, 8, 14, tzinfo=timezone.utc)


def ids(settings):
    with connect(settings) as conn:
        return sorted(
            r[0] for r in conn.execute("SELECT id FROM epilot_datalake.entity_operations")
        )


def test_fixed_records_are_replayed_once(clean_platform, airflow_db, monkeypatch):
    good = [
        event(
            f"0b9a4a6e-8a51-4a4f-9a7a-3c1d7f7e1{i:03d}", "createEntity", HOUR + timedelta(minutes=i)
        )
        for i in range(30)
    ]
    renamed = event(
        "0b9a4a6e-8a51-4a4f-9a7a-3c1d7f7e2001", "renameEntity", HOUR + timedelta(minutes=40)
    )
    future = event(
        "0b9a4a6e-8a51-4a4f-9a7a-3c1d7f7e2002", "createEntity", HOUR + timedelta(hours=3)
    )
    truncated = enc(event("0b9a4a6e-8a51-4a4f-9a7a-3c1d7f7e2003", "createEntity", HOUR))[:50]
    put(
        clean_platform, HOUR, "obj", [enc(e) for e in good] + [enc(renamed), enc(future), truncated]
    )
    first = run(clean_platform, HOUR)
    assert first["loaded"] == 30 and first["quarantined_total"] == 3

    # The operator fixes the renamed operation in the quarantine file and relaxes the skew rule.
    client = s3_client(clean_platform)
    ((qkey, _),) = list(
        iter_keys(client, clean_platform.lake_bucket, "quarantine/entity_operations/2026110814/")
    )
    lines = gzip.decompress(
        client.get_object(Bucket=clean_platform.lake_bucket, Key=qkey)["Body"].read()
    ).splitlines()
    fixed = []
    for line in lines:
        entry = json.loads(line)
        if entry["raw_text"] and "renameEntity" in entry["raw_text"]:
            entry["raw_text"] = entry["raw_text"].replace("renameEntity", "updateEntity")
        fixed.append(json.dumps(entry).encode())
    client.put_object(
        Bucket=clean_platform.lake_bucket, Key=qkey, Body=gzip.compress(b"\n".join(fixed))
    )
    monkeypatch.setenv("DATALAKE_MAX_FUTURE_SKEW_MINUTES", "600")

    conf = {"start": HOUR.isoformat(), "end": (HOUR + timedelta(hours=1)).isoformat()}
    assert run_dag("quarantine_replay", conf=conf).state == "success"
    loaded = ids(clean_platform)
    assert renamed["id"] in loaded and future["id"] in loaded and len(loaded) == 32
    with connect(clean_platform) as conn:
        (manifest,) = conn.execute(
            "SELECT manifest FROM datalake_ops.run_manifest WHERE run_key = 'replay-2026110814'"
        ).fetchone()
    manifest = json.loads(manifest)
    assert (manifest["records_read"], manifest["loaded"], manifest["quarantined_total"]) == (
        3,
        2,
        1,
    )
    still = [
        json.loads(line)
        for k, _ in iter_keys(
            client, clean_platform.lake_bucket, "quarantine/entity_operations/replay-2026110814/"
        )
        for line in gzip.decompress(
            client.get_object(Bucket=clean_platform.lake_bucket, Key=k)["Body"].read()
        ).splitlines()
    ]
    assert [base64.b64decode(s["raw_base64"]) for s in still] == [truncated]

    assert run_dag("quarantine_replay", conf=conf).state == "success"
    assert ids(clean_platform) == loaded
