"""The 13 columns of entity_operations, in table order. Every column is a string.

Order matters: Redshift's COPY from Parquet maps columns by position.
"""

from __future__ import annotations

ENTITY_COLUMNS: tuple[str, ...] = (
    "id",
    "detail-type",
    "operation",
    "source",
    "account",
    "time",
    "region",
    "activity_id",
    "entity_id",
    "detail",
    "schema",
    "month",
    "year",
)

OPERATIONS = ("createEntity", "updateEntity", "deleteEntity")
DETAIL_TYPES = ("EntityOperation", "SnapshotOperation")
