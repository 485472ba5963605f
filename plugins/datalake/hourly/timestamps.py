"""The time layouts the pipelines read, and nothing else: what does not match is never
guessed (a date would get an invented time of day, an offset with seconds or an ISO week date
a reading of our choosing), it is quarantined with the reason the suite gives it.

* An envelope's ``time``: EventBridge's layout, UTC with whole seconds
  (``2026-11-28T10:15:03Z``, as EventBridge writes it), or the same with milliseconds
  (``2026-11-28T10:15:03.000Z``, the stored layout, so a replayed or re-sent record reads
  the same). Stored with milliseconds.
* A timestamp inside a workflow ``detail``: a full ISO-8601 date-time, ``YYYY-MM-DDTHH:MM:SS``
  with an optional fraction and an optional ``Z`` or ``±HH:MM`` offset (no offset is UTC, as
  in the API's own example ``2023-01-15T20:00:00``).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

_DATE_TIME = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
_EVENTBRIDGE_TIME = re.compile(_DATE_TIME + r"(?:\.[0-9]{3})?Z")
_ISO_DATETIME = re.compile(_DATE_TIME + r"(?:\.[0-9]{1,6})?(?:Z|[+-][0-9]{2}:[0-9]{2})?")


def parse_eventbridge_time(text) -> datetime | None:
    """The instant an EventBridge `time` names (UTC), or None when it is not in the layout or
    not a real instant (2026-02-30, 24:00). (fromisoformat reads the Z as UTC, Python 3.11+.)"""
    if not isinstance(text, str) or not _EVENTBRIDGE_TIME.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def canonical_eventbridge_time(text: str) -> str:
    """A `time` parse_eventbridge_time accepted, with milliseconds (the stored layout)."""
    return text if len(text) == 24 else text[:-1] + ".000Z"


def parse_iso_datetime(text) -> datetime | None:
    """A full ISO-8601 date-time (see the module docstring) as UTC, else None."""
    if not isinstance(text, str) or not _ISO_DATETIME.fullmatch(text):
        return None
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)
