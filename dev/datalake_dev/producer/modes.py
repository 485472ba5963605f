"""The two modes of `datalake produce`: past hours at once, or follow the clock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from datalake_dev.producer.config import ProducerConfig
from datalake_dev.producer.events import floor_hour
from datalake_dev.producer.firehose import (
    Delivery,
    LandingObject,
    assemble_objects,
    deliver,
    upload,
)
from datalake_dev.producer.simulation import seeded_rngs, simulate
from datalake_dev.producer.world import World

# `datalake produce --hours`: the whole range is simulated in memory before the upload, so it
# is bounded (30 days: ~1 min and a few hundred MB); 0 or fewer hours would write nothing.
MAX_PAST_HOURS = 720


def validate_past_hours(hours) -> int:
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= MAX_PAST_HOURS:
        raise ValueError(
            f"hours must be a whole number from 1 to {MAX_PAST_HOURS} (30 days), not {hours!r}"
        )
    return hours


def produce_past_hours(
    s3_client,
    bucket: str,
    hours: int,
    now: datetime | None = None,
    config: ProducerConfig | None = None,
) -> list[LandingObject]:
    """Simulate and upload the `hours` full hours before the current one (1 to MAX_PAST_HOURS)."""
    if config is None:
        config = ProducerConfig()
    hours = validate_past_hours(hours)
    current = floor_hour(now or datetime.now(UTC))
    objects = simulate(current - timedelta(hours=hours), hours, config)
    upload(objects, s3_client, bucket)
    return objects


def follow(
    s3_client,
    bucket: str,
    interval_seconds: float = 60,
    config: ProducerConfig | None = None,
    stop: threading.Event | None = None,
    log: Callable[[str], Any] = print,
    *,
    clock: Callable[[], datetime] | None = None,
    max_ticks: int | None = None,
) -> None:
    """Continuous mode: every interval, one small object per stream for the current arrival hour.

    The world lives in memory across ticks. Late events are held back and delivered in a later
    tick (so in a later arrival hour when the tick crosses an hour).
    """
    if config is None:
        config = ProducerConfig()
    clock = clock or (lambda: datetime.now(UTC))
    last = clock() - timedelta(seconds=max(interval_seconds, 1))
    world_rng, wire_rng, defect_rng, object_rng = seeded_rngs(config, last)
    world = World(config, last, world_rng)
    no_late = replace(
        config, defects=replace(config.defects, late=0.0)
    )  # follow holds late events itself
    held: list[tuple[datetime, Delivery]] = []
    ticks = 0
    try:
        while not (stop is not None and stop.is_set()) and (max_ticks is None or ticks < max_ticks):
            now = clock()
            world.plan(last, now, minimum=1)
            arrival = floor_hour(now)
            deliveries = deliver(world.advance(now), arrival, 1, no_late, wire_rng, defect_rng)
            ready = [d for release, d in held if release <= now]
            held = [(release, d) for release, d in held if release > now]
            for d in deliveries:
                if d.kind is None and defect_rng.random() < config.defects.late:
                    held.append((now + timedelta(minutes=defect_rng.randint(5, 90)), d))
                else:
                    ready.append(d)
            for d in ready:
                d.arrival, d.chunk = arrival, 0
            objects = assemble_objects(ready, 1, object_rng)
            upload(objects, s3_client, bucket)
            for obj in objects:
                log(
                    f"wrote s3://{bucket}/{obj.key}: {len(obj.events)} events, "
                    f"{len(obj.broken)} broken"
                )
            last, ticks = now, ticks + 1
            if max_ticks is not None and ticks >= max_ticks:
                break
            if stop is not None:
                stop.wait(interval_seconds)
            else:
                time.sleep(interval_seconds)
    except KeyboardInterrupt:
        log("producer stopped")
