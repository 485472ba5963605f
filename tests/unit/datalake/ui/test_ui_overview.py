"""The Data lake page's model (datalake.ui.overview): one cell per hour, the state of each
hour, freshness, expectation pass rates. Pure functions, no server."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from datalake.ui.overview import build_strip, expectation_rows, hour_state, strip_hours

NOW = datetime(2026, 11, 30, 12, 20, tzinfo=timezone.utc)
FIRST = datetime(2026, 11, 28, tzinfo=timezone.utc)  # the stream's first loaded hour


def manifest(loaded: int, duplicates: int = 0, quarantined: dict | None = None) -> dict:
    q = quarantined or {}
    return {
        "records_read": loaded + duplicates + sum(q.values()),
        "loaded": loaded,
        "duplicates": duplicates,
        "quarantined": q,
        "quarantined_total": sum(q.values()),
    }


def test_the_strip_has_48_consecutive_hours_ending_with_the_current_one():
    hours = strip_hours(NOW)
    assert len(hours) == 48
    assert hours[-1] == datetime(2026, 11, 30, 12, tzinfo=timezone.utc)
    assert all(b - a == timedelta(hours=1) for a, b in zip(hours, hours[1:], strict=False))


def test_states_loaded_failed_late_not_yet_run():
    hour = datetime(2026, 11, 30, 10, tzinfo=timezone.utc)  # ended 80 min before NOW
    assert hour_state(hour, manifest(1), "failed", NOW, first_loaded=FIRST) == "loaded"  # data wins
    assert hour_state(hour, None, "failed", NOW, first_loaded=FIRST) == "failed"
    assert hour_state(hour, None, None, NOW, first_loaded=FIRST) == "not yet run"
    late_now = NOW + timedelta(minutes=10)
    assert hour_state(hour, None, "running", late_now, first_loaded=FIRST) == "late"
    assert hour_state(hour - timedelta(hours=5), None, None, NOW, first_loaded=FIRST) == "late"


def test_hours_before_the_first_load_are_no_pipeline_yet_not_late():
    old = datetime(2026, 11, 27, 3, tzinfo=timezone.utc)
    assert hour_state(old, None, None, NOW, first_loaded=FIRST) == "no pipeline yet"
    assert hour_state(old, None, None, NOW, first_loaded=None) == "no pipeline yet"
    assert hour_state(old, None, "failed", NOW, first_loaded=None) == "failed"  # a run did fail
    # a fresh platform: nothing loaded yet, so nothing is late
    strip = build_strip("entity_operations", {}, {}, NOW)
    assert {c.state for c in strip.cells[:-2]} == {"no pipeline yet"}


def test_strip_counts_and_freshness_come_from_the_manifests():
    manifests = {"2026113009": manifest(40, 2, {"invalid JSON": 3}), "2026113008": manifest(10)}
    runs = {"2026113010": {"state": "failed", "run_id": "scheduled__x"}}
    strip = build_strip("entity_operations", manifests, runs, NOW, first_loaded=FIRST)
    cells = {c.run_key: c for c in strip.cells}
    assert len(strip.cells) == 48
    assert (
        cells["2026113009"].loaded,
        cells["2026113009"].duplicates,
        cells["2026113009"].quarantined,
    ) == (40, 2, 3)
    assert (
        cells["2026113010"].state == "failed" and cells["2026113010"].dag_run_id == "scheduled__x"
    )
    assert cells["2026113011"].state == "not yet run"
    assert cells["2026113007"].state == "late"
    # newest loaded hour 09:00-10:00 ended 2 h 20 min before NOW
    assert strip.freshness(NOW) == timedelta(hours=2, minutes=20)
    assert build_strip("entity_operations", {}, {}, NOW).freshness(NOW) is None


def test_expectation_pass_rates_are_over_the_validated_rows():
    rows = expectation_rows(
        {
            "parsed": 200,
            "expectation_results": [
                {"name": "a", "success": True, "unexpected_count": 0},
                {"name": "b", "success": False, "unexpected_count": 5},
                {"name": "c", "success": False, "unexpected_count": None},
            ],
        }
    )
    assert [r["pass_rate"] for r in rows] == [100.0, 97.5, None]
    assert [r["success"] for r in rows] == [True, False, False]


class OneFileS3:
    """get_object of one gzip file (unit test of quarantine_summary alone)."""

    def __init__(self, body: bytes):
        self.body = body

    def get_object(self, Bucket, Key):  # noqa: N803 (boto3's names)
        import io

        return {"Body": io.BytesIO(self.body)}


def test_quarantine_samples_are_truncated_and_capped_per_reason():
    import gzip
    import json

    from datalake.ui.overview import quarantine_summary

    lines = [
        json.dumps(
            {
                "source_key": "k",
                "position": i,
                "reason": "invalid_json",
                "raw_text": "x" * 1000,
                "failed_expectations": [],
            }
        )
        for i in range(8)
    ]
    lines.append(
        json.dumps({"source_key": "k", "position": 8, "reason": "invalid_utf8", "raw_text": None})
    )
    client = OneFileS3(gzip.compress("\n".join(lines).encode()))
    summary = quarantine_summary(
        client,
        "lake",
        {"quarantined": {"invalid_json": 8, "invalid_utf8": 1}, "quarantine_files": ["q.jsonl.gz"]},
        samples=5,
        text_chars=300,
    )
    first, second = summary["reasons"]
    assert (first["reason"], first["count"], len(first["samples"])) == ("invalid_json", 8, 5)
    assert first["samples"][0]["raw_text"] == "x" * 300 + "… (1000 chars)"
    assert second["samples"][0]["raw_text"].startswith("(not UTF-8")


def test_quarantined_text_is_escaped_in_the_page():
    """Records come from producers: their text must never become markup in the page."""
    from fastapi.templating import Jinja2Templates

    from datalake.ui.app import TEMPLATES

    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    html = (
        Jinja2Templates(directory=str(TEMPLATES))
        .get_template("hour.html")
        .render(
            stream="entity_operations",
            dag_id="entity_operations_hourly",
            run_key="2026113010",
            hour=datetime(2026, 11, 30, 10, tzinfo=timezone.utc),
            run=None,
            log_task="load_warehouse",
            root="/datalake",
            airflow="",
            expectations=[],
            data_docs=[],
            manifest={
                "records_read": 1,
                "loaded": 0,
                "duplicates": 0,
                "quarantined_total": 1,
                "objects": 1,
                "batches": 1,
                "loaded_at": None,
                "duplicates_in_batch": 0,
                "duplicates_in_run": 0,
                "duplicates_already_loaded": 0,
            },
            quarantine={
                "files": ["q"],
                "reasons": [
                    {
                        "reason": evil,
                        "count": 1,
                        "samples": [
                            {
                                "source_key": evil,
                                "position": 0,
                                "failed_expectations": [evil],
                                "raw_text": evil,
                            }
                        ],
                    }
                ],
            },
        )
    )
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
