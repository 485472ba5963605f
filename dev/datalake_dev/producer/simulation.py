"""One simulated range: the world run hour by hour, then delivered as Firehose objects."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from datalake_dev.producer.config import ProducerConfig
from datalake_dev.producer.events import Produced, floor_hour, iso_s
from datalake_dev.producer.firehose import LandingObject, assemble_objects, deliver
from datalake_dev.producer.world import World


def seeded_rngs(config: ProducerConfig, start: datetime) -> tuple[random.Random, ...]:
    """The world's, the wire encoding's, the defects' and the object layout's random streams:
    separate, so that changing the defect rates never changes the good events themselves."""
    # The start is part of the seed: two runs over different ranges must not reuse event ids.
    base = f"{config.seed}-{iso_s(start)}"
    return tuple(
        random.Random(f"{base}-{part}") for part in ("world", "wire", "defects", "objects")
    )


def simulate(
    start_hour: datetime, hours: int, config: ProducerConfig | None = None
) -> list[LandingObject]:
    """Landing objects for the arrival hours [start_hour, start_hour + hours): pure and
    deterministic."""
    if config is None:
        config = ProducerConfig()
    if hours < 1:
        return []
    start = floor_hour(start_hour)
    last_hour = start + timedelta(hours=hours - 1)
    world_rng, wire_rng, defect_rng, object_rng = seeded_rngs(config, start)
    world = World(config, start, world_rng)
    produced: list[Produced] = []
    for h in range(hours):  # one world across all hours keeps entity state consistent
        hour = start + timedelta(hours=h)
        world.plan(hour, hour + timedelta(hours=1))
        produced += world.advance(hour + timedelta(hours=1))
    chunks = max(1, config.objects_per_hour)
    deliveries = deliver(produced, last_hour, chunks, config, wire_rng, defect_rng)
    return assemble_objects(deliveries, chunks, object_rng)
