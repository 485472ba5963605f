"""One hourly pipeline as its DAG runs it, over a window of arrival hours:

plan (batches of the window's landing objects) -> process (one batch: extract, validate with
the stream's suite, quarantine, stage; mapped) -> assess (the quarantine gate) -> load (merge
the staged Parquet into the warehouse, one transaction per hour).

A stream (datalake.entity.stream.ENTITY_STREAM, datalake.workflow.stream.WORKFLOW_STREAM)
names its DAG and lake prefix and hands over its task functions (``<stream>/tasks.py``, the
functions tests and the benchmark call directly). Light: DAG files import the streams while
they parse; the task functions are imported when a step runs.
"""

from __future__ import annotations

from types import ModuleType

from datalake.dag_params import STEPS


class HourlyStream:
    dag_id: str
    stream: str

    def task_functions(self) -> ModuleType:
        """The stream's plan/process/assess/load for one hour (imported when called)."""
        raise NotImplementedError

    def plan(self, client, settings, params, interval_start, interval_end) -> list[dict]:
        """The batches of the run's window (its data interval, or the params' manual window);
        raises windows.WindowError for a window that cannot be processed."""
        from datalake.hourly import windows

        window = windows.resolve_window(params, interval_start, interval_end)
        return windows.plan_window(self.task_functions(), client, settings, window)

    def process(self, client, settings, batch: dict) -> dict:
        from datalake.hourly import windows

        return windows.process_batch(self.task_functions(), client, settings, batch)

    def assess(self, batch_counts: list[dict]) -> dict:
        """Raises ValueError naming the first arrival hour that fails the quarantine gate."""
        from datalake.hourly import windows

        return windows.assess_window(self.task_functions(), batch_counts)

    def load(self, client, settings, batch_counts: list[dict], steps=STEPS) -> list[dict]:
        from datalake.hourly import windows

        return windows.load_window(self.task_functions(), client, settings, batch_counts, steps)

    def __repr__(self) -> str:  # shown for the operators' `stream` argument in the UI
        return f"{type(self).__name__}({self.stream!r})"
