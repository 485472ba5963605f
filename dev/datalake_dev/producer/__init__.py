"""Sample event producer: Firehose-style landing objects for the Raven Energy GmbH scenario.

A small world (organizations, journeys, products, contacts, accounts, opportunities, orders
and workflow executions) is simulated in event-time order. Its events are then *delivered*
like Kinesis Data Firehose would: grouped by UTC arrival hour into a few objects
per hour, gzip or plain, NDJSON or concatenated JSON, with rare delivery defects
(duplicates, late arrivals, broken records) whose ground truth is returned alongside.

Everything is seeded: the same seed and start hour give byte-identical objects.

The world model: `scenario` (who and what), `events` (the envelopes and their helpers),
`entities` and `workflows` (the two activities), `world` (the scheduler), `simulation`
(a range of hours). The Firehose writer: `firehose` (delivery, objects, upload) and
`broken_records`. `modes`: the two modes of `datalake produce`.
"""

from datalake_dev.producer.broken_records import BROKEN_KINDS, break_record
from datalake_dev.producer.config import DefectRates, ProducerConfig
from datalake_dev.producer.events import (
    AWS_ACCOUNT,
    ENTITY_OPERATIONS,
    ENTITY_STREAM,
    REGION,
    SECTION_STATUSES,
    STEP_STATUSES,
    STREAMS,
    WORKFLOW_DETAIL_TYPES,
    WORKFLOW_STATUSES,
    WORKFLOW_STREAM,
    dumps,
    event_detail,
    floor_hour,
    iso_ms,
    iso_s,
    ulid,
)
from datalake_dev.producer.firehose import FIREHOSE_NAME, LandingObject, upload
from datalake_dev.producer.modes import (
    MAX_PAST_HOURS,
    follow,
    produce_past_hours,
    validate_past_hours,
)
from datalake_dev.producer.scenario import JOURNEYS, ORG_NAMES, WORKFLOWS
from datalake_dev.producer.simulation import simulate

__all__ = [
    "AWS_ACCOUNT",
    "BROKEN_KINDS",
    "ENTITY_OPERATIONS",
    "ENTITY_STREAM",
    "FIREHOSE_NAME",
    "JOURNEYS",
    "MAX_PAST_HOURS",
    "ORG_NAMES",
    "REGION",
    "SECTION_STATUSES",
    "STEP_STATUSES",
    "STREAMS",
    "WORKFLOWS",
    "WORKFLOW_DETAIL_TYPES",
    "WORKFLOW_STATUSES",
    "WORKFLOW_STREAM",
    "DefectRates",
    "LandingObject",
    "ProducerConfig",
    "break_record",
    "dumps",
    "event_detail",
    "floor_hour",
    "follow",
    "iso_ms",
    "iso_s",
    "produce_past_hours",
    "simulate",
    "ulid",
    "upload",
    "validate_past_hours",
]
