"""The quarantine gate every hourly stream applies to an hour before it is loaded, and the
threshold it applies: the share of an hour's records it lets through."""

from __future__ import annotations

import os

DEFAULT_QUARANTINE_THRESHOLD = 0.05


def quarantine_threshold() -> float:
    value = os.environ.get("DATALAKE_QUARANTINE_THRESHOLD")
    if value is None:
        try:
            from airflow.sdk import Variable

            value = Variable.get("datalake_quarantine_threshold", default=None)
        except Exception:
            value = None
    return float(value) if value not in (None, "") else DEFAULT_QUARANTINE_THRESHOLD


MIN_QUARANTINED_FOR_SHARE_CHECK = 5
# Reasons given to a whole object, not to a record in it (records.py, extract.py). An empty
# object is not among them: it is skipped and reported (skipped_objects), not quarantined.
OBJECT_REASONS = frozenset({"truncated_object", "corrupt_gzip", "object_missing"})


class QuarantineGateFailure(ValueError):
    """The hour as a whole looks wrong: a retry of the same input gives the same verdict."""


def assess_hour(batches: list[dict], max_quarantine_share: float | None = None) -> dict:
    """Fail loudly when the hour looks wrong as a whole, before anything is loaded (at the
    configured threshold unless one is given).

    The share check needs a handful of rejects: in a quiet hour of 40 events, two broken
    records are 5% without anything being wrong with the hour.
    """
    if max_quarantine_share is None:
        max_quarantine_share = quarantine_threshold()
    # Objects with no record (empty, directory markers) are reported, not judged.
    objects = sum(b["objects"] - len(b.get("skipped_objects") or {}) for b in batches)
    read = sum(b["records_read"] for b in batches)
    parsed = sum(b["parsed"] for b in batches)
    quarantined = sum(sum(b.get("quarantined", {}).values()) for b in batches)
    # A missing or damaged object is one quarantined "record" of its own: it counts in
    # the share, but an hour of only such objects is not "records but none parsed".
    object_level = sum(
        n
        for b in batches
        for reason, n in b.get("quarantined", {}).items()
        if reason in OBJECT_REASONS
    )
    if objects and not read:
        raise QuarantineGateFailure(f"{objects} landing objects but no records in them")
    if read - object_level and not parsed:
        raise QuarantineGateFailure(
            f"{read} records read but none parsed as an event: wrong stream or format?"
        )
    share = quarantined / read if read else 0.0
    if share > max_quarantine_share and quarantined >= MIN_QUARANTINED_FOR_SHARE_CHECK:
        raise QuarantineGateFailure(
            f"{quarantined} of {read} records quarantined ({share:.1%}), above the threshold "
            f"{max_quarantine_share:.1%} (Variable datalake_quarantine_threshold / "
            "DATALAKE_QUARANTINE_THRESHOLD)"
        )
    return {
        "objects": objects,
        "records_read": read,
        "quarantined": quarantined,
        "quarantine_share": round(share, 6),
    }
