"""The hourly DAGs name their tasks and hand each operator the stream object itself; the
per-batch validation is mapped; the hook builds what config/s3/warehouse build."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags"))


@pytest.mark.parametrize(
    "dag_id, stream_path",
    [
        ("entity_operations_hourly", "datalake.entity.stream.ENTITY_STREAM"),
        ("workflow_executions_hourly", "datalake.workflow.stream.WORKFLOW_STREAM"),
    ],
)
def test_hourly_dag_tasks_are_operators_over_their_stream(dagbag, dag_id, stream_path):
    from importlib import import_module

    from datalake import operators

    module, _, name = stream_path.rpartition(".")
    stream = getattr(import_module(module), name)
    assert stream.dag_id == dag_id
    dag = dagbag.dags[dag_id]
    expected = {
        "plan_batches": operators.PlanLandingWindowOperator,
        "process_batch": operators.ValidateLandingWindowOperator,
        "assess_hour": operators.AssessWindowOperator,
        "load_warehouse": operators.MergeStagedParquetOperator,
        "check_freshness": operators.CheckFreshnessOperator,
    }
    assert set(dag.task_dict) == set(expected)
    process = dag.task_dict["process_batch"]
    assert process.partial_kwargs["stream"] is stream and "batch" in process.expand_input.value
    for task_id, kind in expected.items():
        task = dag.task_dict[task_id]
        assert (task.operator_class if task_id == "process_batch" else type(task)) is kind
        if task_id != "check_freshness":
            assert (
                task.partial_kwargs["stream"] if task_id == "process_batch" else task.stream
            ) is stream
    assert dag.task_dict["load_warehouse"].upstream_task_ids == {"assess_hour", "process_batch"}
    assert dag.task_dict["assess_hour"].upstream_task_ids == {"process_batch"}


def test_stream_steps_are_the_functions_that_do_the_work():
    """One hop from the stream to the code: a tool (or a reader) follows each step by name."""
    from datalake.entity import batch as entity_batch
    from datalake.entity import load as entity_load
    from datalake.entity.stream import ENTITY_STREAM
    from datalake.hourly import gate
    from datalake.workflow import batch as workflow_batch
    from datalake.workflow import load as workflow_load
    from datalake.workflow.stream import WORKFLOW_STREAM

    assert (ENTITY_STREAM.plan, ENTITY_STREAM.process, ENTITY_STREAM.gate, ENTITY_STREAM.load) == (
        entity_batch.plan_entity_hour,
        entity_batch.process_entity_batch,
        gate.assess_hour,
        entity_load.load_entity_hour,
    )
    assert (
        WORKFLOW_STREAM.plan,
        WORKFLOW_STREAM.process,
        WORKFLOW_STREAM.gate,
        WORKFLOW_STREAM.load,
    ) == (
        workflow_batch.plan_workflow_hour,
        workflow_batch.process_workflow_batch,
        gate.assess_hour,
        workflow_load.load_workflow_hour,
    )
    for stream in (ENTITY_STREAM, WORKFLOW_STREAM):
        assert (ROOT / "include" / "sql" / stream.sql_folder).is_dir()
        assert repr(stream) == f"HourlyStream({stream.name!r})"


def test_an_hour_travels_through_xcom_as_plain_json():
    import json
    from datetime import datetime, timezone

    from datalake.hourly.stream import Hour

    hour = Hour.of(datetime(2026, 11, 28, 10, tzinfo=timezone.utc))
    assert hour.run_key == "2026112810" and hour.end == datetime(
        2026, 11, 28, 11, tzinfo=timezone.utc
    )
    assert Hour.from_xcom(json.loads(json.dumps(hour.to_xcom()))) == hour


def test_datalake_hook_returns_the_configured_settings(monkeypatch):
    from datalake.config import load_settings
    from datalake.hooks import DatalakeHook

    monkeypatch.setenv("LAKE_BUCKET", "hook-lake")
    hook = DatalakeHook(use_airflow=False)
    assert hook.settings == load_settings()
    assert hook.settings.lake_bucket == "hook-lake"
    assert hook.get_conn() is hook.s3
