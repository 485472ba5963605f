"""Failure callback: one line an operator can act on (DAG, run, task, window, log location)."""

from __future__ import annotations

import logging
import sys

log = logging.getLogger("datalake.alerts")


def failure_line(context) -> str:
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    params = context.get("params") or {}
    start = params.get("start") or context.get("data_interval_start")
    end = params.get("end") or context.get("data_interval_end")
    window = f"[{start}, {end})" if start is not None else "none"
    map_index = getattr(ti, "map_index", -1)
    task = getattr(ti, "task_id", "?") + (f"[{map_index}]" if map_index not in (None, -1) else "")
    exception = context.get("exception")
    reason = f"{type(exception).__name__}: {str(exception).splitlines()[0][:300]}" if exception else "unknown"
    return (
        f"DATALAKE FAILURE dag={getattr(ti, 'dag_id', '?')} run={getattr(dag_run, 'run_id', '?')} task={task} "
        f"try={getattr(ti, 'try_number', '?')} window={window} reason={reason} log={getattr(ti, 'log_url', '?')}"
    )


def on_task_failure(context) -> None:
    line = failure_line(context)
    log.error(line)
    print(line, file=sys.stderr, flush=True)
