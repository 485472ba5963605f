"""Params of the hourly DAGs' manual runs (light: imported while DAG files parse).

A manual trigger may name a reprocess window; JSON-schema validation (Airflow checks it
when the run is triggered) rejects malformed dates and unknown steps, and the first task
rejects what a schema cannot express (end before start, a window over the maximum)
before any data is touched.
"""

from __future__ import annotations

STEPS = ("validate", "load")
DEFAULT_MAX_WINDOW_HOURS = 168


def reprocess_params() -> dict:
    from airflow.sdk import Param

    return {
        "start": Param(
            None,
            type=["null", "string"],
            format="date-time",
            title="Window start (UTC, inclusive)",
            description="First arrival hour to reprocess, e.g. 2026-11-28T00:00:00+00:00. "
            "Empty: the run's own data interval.",
        ),
        "end": Param(
            None,
            type=["null", "string"],
            format="date-time",
            title="Window end (UTC, exclusive)",
            description=(
                "End of the window; at most DATALAKE_MAX_WINDOW_HOURS (default 168) hours after "
                "start."
            ),
        ),
        "steps": Param(
            list(STEPS),
            type="array",
            items={"type": "string", "enum": list(STEPS)},
            minItems=1,
            uniqueItems=True,
            title="Steps",
            description="validate: extract, validate and quarantine (a dry run without load); "
            "load: also write the warehouse and the curated lake.",
        ),
    }
