"""One step of an hourly pipeline in its own process, like one Airflow task (mapped or not).

    python -m datalake_dev.bench.worker <step> <input.json> <output.json>

The process imports what the DAG's task imports, calls the same stream step function the task
calls, and writes ``{"result", "seconds", "peak_rss_bytes"}``: the wall time of the call
(imports excluded, reported separately as ``import_seconds``) and the process's peak RSS
(``getrusage(RUSAGE_SELF).ru_maxrss``, which includes the imports).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from datetime import datetime


def _stream(pipeline: str):
    if pipeline == "entity":
        from datalake.entity.stream import ENTITY_STREAM as stream
    else:
        from datalake.workflow.stream import WORKFLOW_STREAM as stream
    return stream


def run(step: str, spec: dict) -> dict:
    from datalake.config import load_settings
    from datalake.hourly.stream import Hour
    from datalake.s3 import s3_client

    pipeline, action = step.split("_", 1)
    if pipeline == "snapshot":
        return _snapshot(spec)
    stream = _stream(pipeline)
    # What the task imports lazily, imported up front so that `seconds` is the work itself.
    if action == "process":
        import great_expectations  # noqa: F401
        import pandas  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    settings = load_settings()
    client = s3_client(settings)
    hour = Hour.of(datetime.fromisoformat(spec["window_start"]))
    t0 = time.perf_counter()
    if action == "plan":
        result = stream.plan(client, settings, hour)
    elif action == "process":
        result = stream.process(client, settings, hour, spec["batch"])
    elif action == "assess":
        result = stream.gate(spec["batch_counts"])
    elif action == "load":
        result = stream.load(client, settings, hour, spec["batch_counts"])
    else:
        raise ValueError(f"unknown step {step!r}")
    return {"result": result, "seconds": time.perf_counter() - t0}


def _snapshot(spec: dict) -> dict:
    """The monthly DAG's build task: ``snapshot.run_snapshot`` for the interval's month."""
    import pyarrow.parquet  # noqa: F401

    from datalake.config import load_settings
    from datalake.entity import monthly_snapshot as snapshot
    from datalake.s3 import s3_client

    settings = load_settings()
    client = s3_client(settings)
    t0 = time.perf_counter()
    result = snapshot.run_snapshot(
        client,
        settings,
        datetime.fromisoformat(spec["window_start"]),
        datetime.fromisoformat(spec["window_end"]),
    )
    return {"result": result, "seconds": time.perf_counter() - t0}


def main(argv: list[str]) -> int:
    t_start = time.perf_counter()
    step, inp, outp = argv
    spec = json.loads(open(inp).read())
    if step == "floor_parse":
        from datalake_dev.bench.floor import parse_objects

        out = parse_objects(spec)
    else:
        out = run(step, spec)
    out["process_seconds"] = time.perf_counter() - t_start
    out["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with open(outp, "w") as fh:
        json.dump(out, fh, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
