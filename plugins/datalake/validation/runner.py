"""Run an expectation suite (the streams' suites: datalake.entity.suite, datalake.workflow.suite)
on a pandas DataFrame with GX Core 1.x; report per row.

Ephemeral (in-memory) data context, a pandas data source, one whole-dataframe batch
definition, GX's public API only (``BatchDefinition.get_batch`` + ``Batch.validate``); each
frame is validated with the COMPLETE result format and the ``_row`` column as unexpected index,
so every failing row is named with the expectations it failed.

Great Expectations and pandas are imported inside the functions only (DAG files import this
module's package and must parse fast).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import great_expectations as gx
    import pandas as pd

# Row-number column added by the caller; used as GX's unexpected index column.
ROW_COLUMN = "_row"


@dataclass
class ValidationOutcome:
    # _row -> sorted names of the expectations the row failed (only failing rows are keys)
    failed_rows: dict[int, list[str]] = field(default_factory=dict)
    # per expectation, in suite order: {"name", "success", "unexpected_count"} (JSON-able)
    expectation_results: list[dict] = field(default_factory=list)
    success: bool = True
    # GX's ExpectationSuiteValidationResult itself (for Data Docs: validation/data_docs.py)
    gx_result: Any = field(default=None, repr=False, compare=False)


def run_suite(df: pd.DataFrame, suite: gx.ExpectationSuite) -> ValidationOutcome:
    """Validate ``df`` (which has a unique ``_row`` column) against ``suite``."""
    return SuiteRunner(suite).validate(df)


class SuiteRunner:
    """One suite and one in-memory data context, to validate any number of frames."""

    def __init__(self, suite: gx.ExpectationSuite):
        self.suite = suite
        self._definition = (
            _ephemeral_context()
            .data_sources.add_pandas(name="rows")
            .add_dataframe_asset(name="rows")
            .add_batch_definition_whole_dataframe("whole_dataframe")
        )

    @property
    def columns(self) -> list[str]:
        """The columns the suite's expectations refer to, in suite order."""
        seen: dict[str, None] = {}
        for expectation in self.suite.expectations:
            kwargs = expectation.configuration.kwargs
            for key in ("column", "column_A", "column_B"):
                if key in kwargs:
                    seen[kwargs[key]] = None
            for column in kwargs.get("column_list") or []:
                seen[column] = None
        return list(seen)

    def validate(self, df: pd.DataFrame) -> ValidationOutcome:
        # GX's public path: the batch definition hands out a Batch for this frame and the
        # Batch validates the suite (no result kept in the context's store, unlike
        # ValidationDefinition.run, so a long run's memory does not grow).
        batch = self._definition.get_batch(batch_parameters={"dataframe": df})
        result = batch.validate(self.suite, result_format=RESULT_FORMAT)
        outcome = outcome_of(result, self.suite)
        outcome.gx_result = result
        return outcome


# Every failing row named by its _row; the pandas filter expression over all failing indices
# (unused, can be huge) is not built.
RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": [ROW_COLUMN],
    "return_unexpected_index_query": False,
}


def outcome_of(result: Any, suite: gx.ExpectationSuite) -> ValidationOutcome:
    """The per-row and per-expectation outcome of an ExpectationSuiteValidationResult."""
    failed: dict[int, set[str]] = {}
    summaries: list[dict] = []
    for res in result.results:
        name = expectation_name(res.expectation_config)
        details: dict[str, Any] = res.result or {}
        if res.exception_info and res.exception_info.get("raised_exception"):
            # GX caught an error while evaluating (e.g. a missing column): never a pass.
            summaries.append(
                {
                    "name": name,
                    "success": False,
                    "unexpected_count": None,
                    "error": str(res.exception_info.get("exception_message")),
                }
            )
            continue
        count = details.get("unexpected_count")
        summaries.append(
            {
                "name": name,
                "success": bool(res.success),
                "unexpected_count": int(count) if count is not None else None,
            }
        )
        for entry in details.get("unexpected_index_list") or []:
            row = entry[ROW_COLUMN] if isinstance(entry, dict) else entry
            failed.setdefault(int(row), set()).add(name)

    # GX groups results by domain; report them in the suite's (reviewed) order.
    order = {expectation_name(e): i for i, e in enumerate(suite.expectations)}
    summaries.sort(key=lambda s: order.get(s["name"], len(order)))
    success = bool(result.success) and all(s["success"] for s in summaries)
    return ValidationOutcome(
        failed_rows={row: sorted(names) for row, names in sorted(failed.items())},
        expectation_results=summaries,
        success=success,
    )


def merge_expectation_results(parts: list[list[dict]]) -> list[dict]:
    """Per-expectation results of chunks of one batch, as if validated at once: success if
    every chunk succeeded, counts added (unknown if any chunk's is), first error kept."""
    merged: dict[str, dict] = {}
    for part in parts:
        for result in part:
            entry = merged.get(result["name"])
            if entry is None:
                merged[result["name"]] = dict(result)
                continue
            entry["success"] = entry["success"] and result["success"]
            if entry["unexpected_count"] is None or result["unexpected_count"] is None:
                entry["unexpected_count"] = None
            else:
                entry["unexpected_count"] += result["unexpected_count"]
            if "error" in result and "error" not in entry:
                entry["error"] = result["error"]
    return list(merged.values())


def expectation_name(expectation: Any) -> str:
    """Stable, readable name: ``<expectation type>(<column>)`` or ``<type>(<col A>,<col B>)``.

    Accepts an Expectation or an ExpectationConfiguration (``.type`` and ``.kwargs``).
    """
    if hasattr(expectation, "expectation_type"):  # an Expectation instance
        type_name = expectation.expectation_type
        kwargs = expectation.configuration.kwargs
    else:  # an ExpectationConfiguration
        type_name = expectation.type
        kwargs = expectation.kwargs
    if "column" in kwargs:
        target = kwargs["column"]
    elif "column_A" in kwargs:
        target = f"{kwargs['column_A']},{kwargs['column_B']}"
    elif "column_list" in kwargs:
        target = ",".join(kwargs["column_list"])
    else:
        return type_name
    return f"{type_name}({target})"


def _ephemeral_context() -> Any:
    """A fresh in-memory data context: no files, no analytics, no progress bars."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


__all__ = [
    "RESULT_FORMAT",
    "ROW_COLUMN",
    "SuiteRunner",
    "ValidationOutcome",
    "expectation_name",
    "merge_expectation_results",
    "outcome_of",
    "run_suite",
]
