"""The timestamp shapes the inference compares strings with take exactly the strings the
ISO-8601 pattern they replaced takes (the pattern match cost more than the rest of the
inference)."""

from __future__ import annotations

import re

import pytest

from datalake.typed.kinds import TIMESTAMP_SHAPES

PATTERN = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
    r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)?"
)
DIGITS_TO_ZERO = str.maketrans("0123456789", "0" * 10)


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-03T08:00:00Z",
        "2026-11-03 08:00",
        "2026-11-03T08:00:00.1Z",
        "2026-11-03T08:00:00.123456789+05:30",
        "2026-11-03T08:00:00.1234567890Z",
        "2026-11-03T08:00:00+0530",
        "2026-11-03T08:00-05",
        "2026-11-03T08:00.5Z",
        "2026-11-03",
        "2026-11-03t08:00Z",
        "2026-11-03T08:00:00 Europe/Berlin",
        "2026-11-03T08:00:00ZZ",
        "2026-11-03T8:00Z",
        "２０２６-11-03T08:00Z",
        "abcd-11-03T08:00Z",
        "",
    ],
)
def test_shapes_take_exactly_what_the_pattern_takes(value):
    assert (value.translate(DIGITS_TO_ZERO) in TIMESTAMP_SHAPES) == bool(
        re.fullmatch(PATTERN, value, flags=re.ASCII)
    )
