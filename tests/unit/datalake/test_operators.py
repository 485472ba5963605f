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


@pytest.mark.parametrize("dag_id, stream_path", [
    ("entity_operations_hourly", "datalake.entity.stream.ENTITY_STREAM"),
    ("workflow_executions_hourly", "datalake.workflow.stream.WORKFLOW_STREAM"),
])
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
            assert (task.partial_kwargs["stream"] if task_id == "process_batch" else task.stream) is stream
    assert dag.task_dict["load_warehouse"].upstream_task_ids == {"assess_hour", "process_batch"}
    assert dag.task_dict["assess_hour"].upstream_task_ids == {"process_batch"}


def test_stream_steps_are_the_task_functions():
    from datalake.entity import tasks as entity_tasks
    from datalake.entity.stream import ENTITY_STREAM
    from datalake.workflow import tasks as workflow_tasks
    from datalake.workflow.stream import WORKFLOW_STREAM

    assert ENTITY_STREAM.task_functions() is entity_tasks and ENTITY_STREAM.stream == entity_tasks.STREAM
    assert WORKFLOW_STREAM.task_functions() is workflow_tasks and WORKFLOW_STREAM.stream == workflow_tasks.STREAM


def test_datalake_hook_returns_the_configured_settings(monkeypatch):
    from datalake.config import load_settings
    from datalake.hooks import DatalakeHook

    monkeypatch.setenv("LAKE_BUCKET", "hook-lake")
    hook = DatalakeHook(use_airflow=False)
    assert hook.settings == load_settings()
    assert hook.settings.lake_bucket == "hook-lake"
    assert hook.get_conn() is hook.s3
