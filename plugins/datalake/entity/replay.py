"""Quarantine replay (DAG ``quarantine_replay``): re-read the quarantined entity records of a
window and load those that now pass, through the same steps as the hourly pipeline.

A quarantined record is fixed by editing its quarantine file (``raw_text``, when present,
wins over ``raw_base64``), or by changing the rules; then the replay is triggered for the
window. Per arrival hour H the replay is its own run, key ``replay-<H>``:

* input: the records of ``quarantine/entity_operations/<H>/`` written by the hourly run,
  copied to ``_replay/entity_operations/<H>/records.ndjson`` in the lake bucket;
* the same extract -> normalise -> dedupe -> GX -> stage -> one-transaction load;
* records still failing go to ``quarantine/entity_operations/replay-<H>/``; the original
  quarantine files are kept as the history of what arrived;
* its manifest (``manifests/entity_operations/replay-<H>.json``) accounts for every
  re-read record: loaded + duplicates (already loaded, e.g. by an earlier replay of another
  hour) + still quarantined. Replaying the same hour again replaces its own rows.
"""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import datetime, timedelta

from datalake.config import Settings
from datalake.entity import batch as entity_batch
from datalake.entity import load as entity_load
from datalake.hourly.lake import clear_stale_attempts, new_attempt
from datalake.hourly.landing import hour_key
from datalake.hourly.quarantine import parse_quarantine_line, quarantine_lines, quarantine_prefix
from datalake.hourly.stream import Hour
from datalake.s3 import iter_keys, require_bucket

STREAM = entity_batch.STREAM
REPLAY_ROOT = "_replay"


def replay_run_key(hour: datetime) -> str:
    return f"replay-{hour_key(hour)}"


def _fixed_raw(client, bucket: str, key: str) -> list[bytes]:
    """Raw records of one quarantine file; an edited raw_text is the fix and wins."""
    raws = []
    for line in quarantine_lines(client.get_object(Bucket=bucket, Key=key)["Body"].read()):
        entry = parse_quarantine_line(line)
        if entry is None:
            # Not a quarantine entry (a broken hand edit): the line itself is replayed, and is
            # quarantined again as what it is rather than failing every record of the hour.
            raws.append(line.encode("utf-8", "surrogateescape"))
            continue
        original = base64.b64decode(entry["raw_base64"])
        text = entry.get("raw_text")
        if (
            not original and not text
        ):  # an object-level record (object_missing, empty_object): no event in it
            continue
        raws.append(
            text.encode("utf-8")
            if text is not None and text.encode("utf-8") != original
            else original
        )
    return raws


def replay_hour(client, settings: Settings, hour: datetime) -> dict:
    end = hour + timedelta(hours=1)
    run_key = replay_run_key(hour)
    require_bucket(client, settings.lake_bucket, "lake")
    clear_stale_attempts(client, settings.lake_bucket, STREAM, run_key)
    raws: list[bytes] = []
    for key, _ in sorted(
        iter_keys(client, settings.lake_bucket, quarantine_prefix(STREAM, hour_key(hour)))
    ):
        raws.extend(_fixed_raw(client, settings.lake_bucket, key))
    input_key = f"{REPLAY_ROOT}/{STREAM}/{hour_key(hour)}/records.ndjson"
    # One record per line; a record that is itself broken JSON stays broken and is re-quarantined.
    client.put_object(
        Bucket=settings.lake_bucket, Key=input_key, Body=b"\n".join(raws) + (b"\n" if raws else b"")
    )

    # The replay input lives in the lake bucket: read it as this run's "landing zone".
    replay_settings = replace(settings, landing_bucket=settings.lake_bucket)
    replay = Hour(hour, end, run_key)
    counts = entity_batch.process_entity_batch(
        client, replay_settings, replay, {"batch": 0, "keys": [input_key], "attempt": new_attempt()}
    )
    manifest = entity_load.load_entity_hour(client, settings, replay, [counts])
    manifest["replayed_from"] = quarantine_prefix(STREAM, hour_key(hour))
    return manifest
