"""Old import paths that dev/datalake_dev/bench still uses (worker.py, runner.py): the hourly
steps now live in datalake.hourly, datalake.entity and datalake.workflow, the monthly roll-up
in datalake.monthly_snapshot. Delete this package once dev/ imports the new paths."""

import sys
from importlib import import_module

_MOVED = {
    "entity_tasks": "datalake.entity.tasks",
    "workflow_tasks": "datalake.workflow.tasks",
    "snapshot": "datalake.monthly_snapshot",
    "landing": "datalake.hourly.landing",
}

# `from datalake.pipeline.landing import X` finds the module here once this package ran.
sys.modules[f"{__name__}.landing"] = import_module(_MOVED["landing"])


def __getattr__(name: str):
    if name in _MOVED:
        return import_module(_MOVED[name])
    raise AttributeError(name)
