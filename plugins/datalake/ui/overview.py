"""What the Data lake page shows, as plain data: the 48-hour strip per stream, freshness,
one hour's details, the monthly snapshots and table row counts. No web framework here."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from datalake import entity, workflow
from datalake.hourly.landing import hour_key
from datalake.sqlfiles import read_sql

# stream -> the hourly DAG (and run_manifest pipeline) that loads it
STREAMS = {entity.STREAM: entity.DAG_ID, workflow.STREAM: workflow.DAG_ID}
STRIP_HOURS = 48
# An hour nobody loaded this long after it ended is late (the hourly run starts at its end).
DEFAULT_LATE_AFTER = timedelta(minutes=90)
SAMPLE_RECORDS = 5
SAMPLE_TEXT_CHARS = 300

STATES = ("loaded", "failed", "late", "not yet run", "no pipeline yet")


@dataclass
class HourCell:
    hour: datetime
    run_key: str
    state: str
    records_read: int = 0
    loaded: int = 0
    duplicates: int = 0
    quarantined: int = 0
    dag_run_id: str | None = None

    @property
    def label(self) -> str:
        return self.hour.strftime("%Y-%m-%d %H:00")


@dataclass
class StreamStrip:
    stream: str
    dag_id: str
    cells: list[HourCell] = field(default_factory=list)
    newest_loaded: datetime | None = None  # end of the newest loaded hour

    def freshness(self, now: datetime) -> timedelta | None:
        return now - self.newest_loaded if self.newest_loaded else None


def strip_hours(now: datetime, hours: int = STRIP_HOURS) -> list[datetime]:
    """The last ``hours`` complete-or-current arrival hours, oldest first (the current,
    unfinished hour is the last cell)."""
    current = now.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    return [current - timedelta(hours=i) for i in range(hours - 1, -1, -1)]


def hour_state(
    hour: datetime,
    manifest: dict | None,
    run_state: str | None,
    now: datetime,
    late_after: timedelta = DEFAULT_LATE_AFTER,
    first_loaded: datetime | None = None,
) -> str:
    """loaded (a manifest exists), failed (the latest DAG run of the hour failed and nothing
    is loaded), no pipeline yet (before the stream's first loaded hour, or no hour loaded at
    all: nobody was expected to load it), late (no manifest ``late_after`` past the hour's
    end) or not yet run."""
    if manifest is not None:
        return "loaded"
    if run_state == "failed":
        return "failed"
    if first_loaded is None or hour < first_loaded:
        return "no pipeline yet"
    if now >= hour + timedelta(hours=1) + late_after:
        return "late"
    return "not yet run"


def build_strip(
    stream: str,
    manifests: dict[str, dict],
    runs: dict[str, dict],
    now: datetime,
    hours: int = STRIP_HOURS,
    late_after: timedelta = DEFAULT_LATE_AFTER,
    first_loaded: datetime | None = None,
) -> StreamStrip:
    """``manifests`` and ``runs`` (``{"state", "run_id"}``) are keyed by run key (YYYYMMDDHH);
    ``first_loaded`` is the first arrival hour the stream ever loaded (None: none yet)."""
    strip = StreamStrip(stream=stream, dag_id=STREAMS[stream])
    for hour in strip_hours(now, hours):
        key = hour_key(hour)
        manifest, run = manifests.get(key), runs.get(key) or {}
        state = hour_state(hour, manifest, run.get("state"), now, late_after, first_loaded)
        cell = HourCell(hour=hour, run_key=key, state=state, dag_run_id=run.get("run_id"))
        if manifest is not None:
            cell.records_read = int(manifest.get("records_read", 0))
            cell.loaded = int(manifest.get("loaded", 0))
            cell.duplicates = int(manifest.get("duplicates", 0))
            cell.quarantined = int(
                manifest.get("quarantined_total", sum(manifest.get("quarantined", {}).values()))
            )
            strip.newest_loaded = hour + timedelta(hours=1)
        strip.cells.append(cell)
    return strip


def hourly_manifests(conn, since: datetime) -> dict[str, dict[str, dict]]:
    """pipeline -> run key -> manifest, for the hours starting at or after ``since``."""
    found: dict[str, dict[str, dict]] = {}
    for pipeline, run_key, _start, _end, body, _loaded_at in conn.execute(
        read_sql("ui/hourly_manifests.sql"), {"since": since}
    ).fetchall():
        found.setdefault(pipeline, {})[run_key] = json.loads(body)
    return found


def first_loaded_hour(conn, pipeline: str) -> datetime | None:
    """The first arrival hour ``pipeline`` ever loaded, or None."""
    ((run_key,),) = conn.execute(
        read_sql("ops/first_loaded_hour.sql"), {"pipeline": pipeline}
    ).fetchall()
    return datetime.strptime(run_key, "%Y%m%d%H").replace(tzinfo=timezone.utc) if run_key else None


def hour_manifest(conn, pipeline: str, run_key: str) -> dict | None:
    row = conn.execute(
        read_sql("ui/hour_manifest.sql"), {"pipeline": pipeline, "run_key": run_key}
    ).fetchone()
    if row is None:
        return None
    body = json.loads(row[4])
    body["loaded_at"] = row[5].isoformat() if row[5] else None
    return body


def snapshot_months(conn) -> list[dict]:
    months = []
    for month_key, body, loaded_at, stale_reason in conn.execute(
        read_sql("ui/snapshot_months.sql")
    ).fetchall():
        manifest = json.loads(body) if body else {}
        months.append(
            {
                "month": month_key,
                "exists": bool(body),
                "rows": manifest.get("entities"),
                "written_at": loaded_at.isoformat() if loaded_at else None,
                "stale": stale_reason,
            }
        )
    return months


def table_row_counts(conn) -> list[tuple[str, int]]:
    return [
        (name, int(count))
        for name, count in conn.execute(read_sql("ui/table_row_counts.sql")).fetchall()
    ]


def typed_catalog(conn) -> list[dict]:
    """Per organisation with typed tables: its schema, tables, attributes, widened columns and
    values that did not fit, and (first 20) the widened attributes themselves."""
    import re

    from datalake.sqlfiles import render_sql

    built = conn.execute(read_sql("ui/typed_schemas.sql")).fetchall()
    schemas = [name for _, name, _ in built if re.fullmatch(r"t_[0-9a-f]{16}", name)]
    if not schemas:
        return []
    rows = conn.execute(render_sql("ui/typed_catalog.sql", schemas=schemas)).fetchall()
    out = []
    for org_id, name, built_at in built:
        mine = [r for r in rows if r[0] == name]
        widened = [
            {
                "entity_schema": r[1],
                "attribute": r[2],
                "column": r[3],
                "type": r[4],
                "from": r[5],
                "not_fitting": r[7],
            }
            for r in mine
            if r[5] is not None
        ]
        out.append(
            {
                "org_id": org_id,
                "schema": name,
                "built_at": built_at,
                "tables": len({r[1] for r in mine}),
                "attributes": len(mine),
                "not_fitting": sum(r[7] for r in mine),
                "widened": widened[:20],
                "widened_count": len(widened),
            }
        )
    return out


def quarantine_summary(
    client,
    bucket: str,
    manifest: dict,
    samples: int = SAMPLE_RECORDS,
    text_chars: int = SAMPLE_TEXT_CHARS,
) -> dict:
    """Reasons with counts (from the manifest) and a few sample records per reason, read from
    the run's quarantine files in the lake (raw text truncated; undecodable bytes said so)."""
    reasons = dict(sorted((manifest.get("quarantined") or {}).items(), key=lambda item: -item[1]))
    from datalake.hourly.quarantine import parse_quarantine_line, quarantine_lines

    picked: dict[str, list[dict]] = {}
    unreadable: list[str] = []
    for key in manifest.get("quarantine_files") or []:
        if all(len(picked.get(r, [])) >= samples for r in reasons):
            break
        try:
            lines = quarantine_lines(client.get_object(Bucket=bucket, Key=key)["Body"].read())
        except Exception as exc:  # one unreadable file never costs the page
            unreadable.append(f"{key}: {type(exc).__name__}")
            continue
        for number, line in enumerate(lines, 1):
            record = parse_quarantine_line(line)
            if record is None:
                unreadable.append(f"{key} line {number}")
                continue
            bucket_list = picked.setdefault(record["reason"], [])
            if len(bucket_list) >= samples:
                continue
            text = record.get("raw_text")
            shown = (
                "(not UTF-8: only raw_base64 is kept)"
                if text is None
                else (
                    text
                    if len(text) <= text_chars
                    else text[:text_chars] + f"… ({len(text)} chars)"
                )
            )
            bucket_list.append(
                {
                    "source_key": record["source_key"],
                    "position": record["position"],
                    "failed_expectations": record.get("failed_expectations", []),
                    "raw_text": shown,
                }
            )
    return {
        "reasons": [
            {"reason": r, "count": n, "samples": picked.get(r, [])} for r, n in reasons.items()
        ],
        "files": manifest.get("quarantine_files") or [],
        "unreadable": unreadable,
    }


def expectation_rows(manifest: dict) -> list[dict]:
    """The GX expectations of the run with their pass rate over the validated rows."""
    validated = int(manifest.get("parsed") or manifest.get("records_read") or 0)
    rows = []
    for result in manifest.get("expectation_results") or []:
        failed = result.get("unexpected_count")
        rate = (
            None
            if failed is None or not validated
            else round(100.0 * (validated - failed) / validated, 2)
        )
        rows.append(
            {
                "name": result["name"],
                "success": bool(result.get("success")),
                "unexpected_count": failed,
                "pass_rate": rate,
            }
        )
    return rows


def data_docs_pages(client, bucket: str, stream: str, run_key: str) -> list[str]:
    """The hour's GX Data Docs pages (paths under data_docs/) of its run that published last,
    [] when none (expired, or a stream without docs)."""
    from botocore.exceptions import ClientError

    from datalake.validation.data_docs import hour_pages

    try:
        return hour_pages(client, bucket, stream, run_key)
    except ClientError:  # an index removed between listing and reading it
        return []
