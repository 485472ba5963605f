"""The world: entities and workflow executions evolving in event time, driven by one queue of
scheduled actions; it emits their events in time order."""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from datetime import datetime

from datalake_dev.producer.config import ProducerConfig
from datalake_dev.producer.entities import EntityActivity
from datalake_dev.producer.events import Produced, random_time
from datalake_dev.producer.workflows import WorkflowActivity


class World:
    """The scheduler and what the two activities share: the random stream, the users, the output."""

    def __init__(self, config: ProducerConfig, start: datetime, rng: random.Random) -> None:
        self.cfg = config
        self.rng = rng
        self.queue: list[tuple[datetime, int, Callable[[datetime], None]]] = []
        self.seq = itertools.count()
        self.out: list[Produced] = []
        # The order of these draws from `rng` is part of the seed's contract (same seed, same
        # bytes).
        self.users = {
            org: [str(rng.randrange(10_000_000, 99_999_999)) for _ in range(5)]
            for org in config.orgs
        }
        self.entities = EntityActivity(self)
        self.workflows = WorkflowActivity(self)
        self.entities.stock_catalog(start)

    def schedule(self, t: datetime, action: Callable[[datetime], None]) -> None:
        heapq.heappush(self.queue, (t, next(self.seq), action))

    def emit(self, produced: Produced) -> None:
        self.out.append(produced)

    def owner(self, org: str) -> str:
        return self.rng.choice(self.users[org])

    def _count(self, expected: float) -> int:
        whole = int(expected)
        return whole + (self.rng.random() < expected - whole)

    def plan(self, start: datetime, end: datetime, minimum: int = 0) -> None:
        """Schedule the random activity of [start, end); follow-ups are scheduled by the actions.

        `minimum` guarantees some entity and workflow activity in short windows (follow mode).
        """
        entities = self.entities
        share = (end - start).total_seconds() / 3600 * self.rng.uniform(0.8, 1.2)
        n = self.cfg.entities_per_hour * share
        actions = (
            [entities.journey] * self._count(n * 0.15)
            + [entities.update_random] * self._count(n * 0.52)
            + [entities.delete_random] * self._count(n * 0.06)
        )
        if len(actions) < minimum:
            kinds = (entities.journey, entities.update_random, entities.delete_random)
            actions += self.rng.choices(kinds, (2, 7, 1), k=minimum - len(actions))
        actions += [self.workflows.act] * max(
            self._count(self.cfg.workflow_updates_per_hour * share), minimum
        )
        for action in actions:
            self.schedule(random_time(self.rng, start, end), action)

    def advance(self, until: datetime) -> list[Produced]:
        """Run every scheduled action before `until`; return the events they emitted, in time
        order."""
        while self.queue and self.queue[0][0] < until:
            t, _, action = heapq.heappop(self.queue)
            action(t)
        out, self.out = self.out, []
        return out
