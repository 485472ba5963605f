"""The smoke's synthetic events all fall in the month of `now`, in order, never in the future:
the docs' examples it checks read the current month's partition only."""

from datetime import datetime, timedelta, timezone

import pytest

from datalake.smoke import EVENT_SLOTS, synthetic_hour


@pytest.mark.parametrize(
    "into_month",
    [
        timedelta(seconds=EVENT_SLOTS),
        timedelta(seconds=90),
        timedelta(minutes=3),
        timedelta(days=12),
    ],
)
def test_events_stay_in_the_month_of_now_and_in_order(into_month):
    now = datetime(2026, 12, 1, tzinfo=timezone.utc) + into_month
    times = [e["time"] for e in synthetic_hour(now).events]
    assert all(t.startswith("2026-12-") for t in times), times
    assert times == sorted(times) and len(set(times)) == len(times)
    assert max(times) <= now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
