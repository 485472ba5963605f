"""Manual reprocess windows: validated before anything runs."""

from datetime import datetime, timezone

import pytest

from datalake.hourly.windows import Window, WindowError, gate_window, resolve_window

T0 = datetime(2026, 11, 28, 0, tzinfo=timezone.utc)
T1 = datetime(2026, 11, 28, 1, tzinfo=timezone.utc)


def test_scheduled_run_uses_its_data_interval():
    assert resolve_window({"start": None, "end": None}, T0, T1) == Window(T0, T1)
    assert resolve_window(None, T0, T1).hours == [T0]


def test_manual_window_overrides_and_spans_hours():
    window = resolve_window(
        {
            "start": "2026-11-27T22:00:00Z",
            "end": "2026-11-28T01:00:00+00:00",
            "steps": ["validate"],
        },
        None,
        None,
    )
    assert len(window.hours) == 3 and window.steps == ("validate",)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"start": "2026-11-28T05:00:00Z", "end": "2026-11-28T01:00:00Z"}, "is not after start"),
        ({"start": "2026-11-28T05:00:00Z", "end": "2026-11-28T05:00:00Z"}, "is not after start"),
        (
            {"start": "2026-11-01T00:00:00Z", "end": "2026-11-28T00:00:00Z"},
            "over the maximum of 168",
        ),
        ({"start": "28/11/2026", "end": "2026-11-28T05:00:00Z"}, "not an ISO-8601 date-time"),
        ({"start": "2026-11-28T05:30:00Z", "end": "2026-11-28T07:00:00Z"}, "whole arrival hours"),
        ({"start": "2026-11-28T05:00:00Z"}, "give both"),
        (
            {"start": "2026-11-28T05:00:00Z", "end": "2026-11-28T06:00:00Z", "steps": ["drop"]},
            "unknown steps",
        ),
    ],
)
def test_bad_windows_are_rejected_with_a_clear_message(params, message):
    with pytest.raises(WindowError, match=message):
        resolve_window(params, T0, T1)


def test_manual_run_without_interval_needs_a_window():
    with pytest.raises(WindowError, match="no data interval"):
        resolve_window({}, None, None)


def test_window_maximum_is_configurable(monkeypatch):
    monkeypatch.setenv("DATALAKE_MAX_WINDOW_HOURS", "2")
    with pytest.raises(WindowError, match="maximum of 2"):
        resolve_window({"start": "2026-11-28T00:00:00Z", "end": "2026-11-28T03:00:00Z"}, None, None)


def test_param_schema_rejects_malformed_dates_and_steps_at_trigger_time():
    from airflow.sdk.definitions.param import ParamsDict
    from airflow.sdk.exceptions import ParamValidationError

    from datalake.dag_params import reprocess_params

    params = ParamsDict(reprocess_params())
    params.validate()
    for bad in ({"start": "yesterday"}, {"steps": ["drop"]}, {"steps": []}):
        candidate = ParamsDict(reprocess_params())
        for key, value in bad.items():
            with pytest.raises(ParamValidationError):
                candidate[key] = value
                candidate.validate()


def test_assessment_names_the_failing_hour():
    from dataclasses import replace

    from datalake.entity.stream import ENTITY_STREAM
    from datalake.hourly.stream import Hour

    def gate(group):
        if group[0]["bad"]:
            raise ValueError("too many quarantined")
        return {"ok": True}

    stream = replace(ENTITY_STREAM, gate=gate)
    counts = [
        {"hour": Hour.of(T0).to_xcom(), "bad": False},
        {"hour": Hour.of(T1).to_xcom(), "bad": True},
    ]
    with pytest.raises(
        ValueError, match=r"arrival hour 2026-11-28T01:00:00\+00:00: too many quarantined"
    ):
        gate_window(stream, counts)
