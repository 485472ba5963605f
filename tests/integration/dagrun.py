"""Run a project DAG for real with dag.test() (in-process Airflow, real task runner, real
XCom and mapping) and report its state."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_dag(dag_id: str):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags" / f"{dag_id}.py"))
    assert not bag.import_errors, bag.import_errors
    return bag.dags[dag_id]


def run_dag(dag_id: str, logical_date: datetime | None = None, conf: dict | None = None):
    return load_dag(dag_id).test(logical_date=logical_date, run_conf=conf)


def run_hourly(dag_id: str, hour: datetime, conf: dict | None = None):
    """A run whose data interval is [hour, hour + 1h): a manual run is given the interval
    that ends at its logical date, as the scheduler does for the hourly timetable."""
    dagrun = run_dag(dag_id, hour + timedelta(hours=1), conf)
    assert dagrun.data_interval_start == hour, (dagrun.data_interval_start, hour)
    return dagrun
