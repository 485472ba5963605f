"""Run manifests: for every run, records read = loaded + duplicates + quarantined.

Written to the lake beside the data (``manifests/<stream>/<run key>.json``) and to
``datalake_ops.run_manifest`` in the same transaction as the load. Deterministic content
(no wall-clock times) so a rerun of the same input leaves the lake byte-for-byte the same.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime

from datalake.sqlfiles import execute_file, query_file


class ManifestMismatch(RuntimeError):
    """The counts do not add up: a record would be lost or invented."""


def _merge_expectations(batches: list[dict]) -> list[dict]:
    merged: dict[str, dict] = {}
    for batch in batches:
        for result in batch.get("expectation_results", []):
            entry = merged.setdefault(
                result["name"], {"name": result["name"], "success": True, "unexpected_count": 0}
            )
            entry["success"] = entry["success"] and bool(result.get("success", True))
            entry["unexpected_count"] += int(result.get("unexpected_count") or 0)
    return [merged[name] for name in sorted(merged)]


@dataclass
class RunManifest:
    pipeline: str
    run_key: str
    window_start: str
    window_end: str
    batches: int = 0
    objects: int = 0
    records_read: int = 0
    parsed: int = 0
    valid: int = 0
    staged: int = 0
    duplicates_in_batch: int = 0
    duplicates_in_run: int = 0
    duplicates_already_loaded: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    # Landing objects without any record (key -> empty_object / directory_marker): reported,
    # not records, so neither in records_read nor in the quarantine gate's share.
    skipped_objects: dict[str, str] = field(default_factory=dict)
    loaded: int = 0
    replaced: int = 0  # rows of an earlier run of the same hour replaced; task log only
    lake_files: list[str] = field(default_factory=list)
    quarantine_files: list[str] = field(default_factory=list)
    expectation_results: list[dict] = field(default_factory=list)

    @classmethod
    def from_batches(
        cls, pipeline: str, run_key: str, start: datetime, end: datetime, batches: list[dict]
    ) -> "RunManifest":
        quarantined: Counter = Counter()
        skipped: dict[str, str] = {}
        for b in batches:
            quarantined.update(b.get("quarantined", {}))
            skipped.update(b.get("skipped_objects") or {})
        return cls(
            pipeline=pipeline,
            run_key=run_key,
            window_start=start.isoformat(),
            window_end=end.isoformat(),
            batches=len(batches),
            objects=sum(b["objects"] for b in batches),
            records_read=sum(b["records_read"] for b in batches),
            parsed=sum(b["parsed"] for b in batches),
            valid=sum(b["valid"] for b in batches),
            duplicates_in_batch=sum(b["duplicates_in_batch"] for b in batches),
            quarantined=dict(sorted(quarantined.items())),
            skipped_objects=dict(sorted(skipped.items())),
            quarantine_files=sorted(
                b["quarantine_key"] for b in batches if b.get("quarantine_key")
            ),
            expectation_results=_merge_expectations(batches),
        )

    @property
    def duplicates(self) -> int:
        return self.duplicates_in_batch + self.duplicates_in_run + self.duplicates_already_loaded

    @property
    def quarantined_total(self) -> int:
        return sum(self.quarantined.values())

    def check(self) -> None:
        if self.staged != self.valid:
            raise ManifestMismatch(
                f"{self.run_key}: {self.valid} valid rows staged as Parquet but {self.staged} "
                "reached the stage table"
            )
        accounted = self.loaded + self.duplicates + self.quarantined_total
        if self.records_read != accounted:
            raise ManifestMismatch(
                f"{self.run_key}: records read {self.records_read} != loaded {self.loaded} "
                f"+ duplicates {self.duplicates} + quarantined {self.quarantined_total}"
            )

    def as_dict(self) -> dict:
        body = asdict(self)
        body["duplicates"] = self.duplicates
        body["quarantined_total"] = self.quarantined_total
        return body

    def lake_json(self) -> bytes:
        body = self.as_dict()
        body.pop("replaced")
        return json.dumps(body, indent=2, sort_keys=True).encode("utf-8")


def manifest_key(stream: str, run_key: str) -> str:
    return f"manifests/{stream}/{run_key}.json"


def load_previous_manifest(conn, pipeline: str, run_key: str) -> dict | None:
    rows = query_file(conn, "ops/run_manifest_get.sql", {"pipeline": pipeline, "run_key": run_key})
    return json.loads(rows[0][0]) if rows else None


def record_run(
    conn, pipeline: str, run_key: str, window_start, window_end, manifest_json: str
) -> None:
    """The run's row in datalake_ops.run_manifest (replacing an earlier one), in the caller's
    transaction: hourly loads and monthly snapshots alike."""
    execute_file(
        conn,
        "ops/run_manifest_save.sql",
        {
            "pipeline": pipeline,
            "run_key": run_key,
            "window_start": window_start,
            "window_end": window_end,
            "manifest": manifest_json,
        },
    )


def save_manifest(conn, client, bucket: str, stream: str, manifest: RunManifest) -> None:
    body = manifest.lake_json()
    record_run(
        conn,
        manifest.pipeline,
        manifest.run_key,
        manifest.window_start,
        manifest.window_end,
        body.decode("utf-8"),
    )
    client.put_object(Bucket=bucket, Key=manifest_key(stream, manifest.run_key), Body=body)
