"""The failure callback's one line names DAG, run, task, window and log location."""

from datetime import datetime, timezone
from types import SimpleNamespace

from datalake.alerts import failure_line, on_task_failure


def context(**overrides):
    base = {
        "ti": SimpleNamespace(
            dag_id="entity_operations_hourly",
            task_id="load_warehouse",
            map_index=-1,
            try_number=2,
            log_url="http://127.0.0.1:8080/dags/entity_operations_hourly/runs/r1/tasks/load_warehouse",
        ),
        "dag_run": SimpleNamespace(run_id="scheduled__2026-11-28T10:00:00+00:00"),
        "data_interval_start": datetime(2026, 11, 28, 10, tzinfo=timezone.utc),
        "data_interval_end": datetime(2026, 11, 28, 11, tzinfo=timezone.utc),
        "params": {"start": None, "end": None},
        "exception": RuntimeError("connection refused\nmore detail"),
    }
    return {**base, **overrides}


def test_one_line_with_everything_an_operator_needs(capsys):
    line = failure_line(context())
    assert "\n" not in line
    for part in (
        "dag=entity_operations_hourly",
        "run=scheduled__2026-11-28T10:00:00+00:00",
        "task=load_warehouse",
        "try=2",
        "window=[2026-11-28 10:00:00+00:00, 2026-11-28 11:00:00+00:00)",
        "reason=RuntimeError: connection refused",
        "log=http://127.0.0.1:8080/dags/",
    ):
        assert part in line
    on_task_failure(context())
    assert capsys.readouterr().err.count("DATALAKE FAILURE") == 1


def test_manual_window_and_mapped_task():
    ti = SimpleNamespace(
        dag_id="d", task_id="process_batch", map_index=3, try_number=1, log_url="u"
    )
    line = failure_line(
        context(ti=ti, params={"start": "2026-11-27T00:00:00Z", "end": "2026-11-27T05:00:00Z"})
    )
    assert (
        "task=process_batch[3]" in line
        and "window=[2026-11-27T00:00:00Z, 2026-11-27T05:00:00Z)" in line
    )
