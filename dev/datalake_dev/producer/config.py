"""What a producer run is asked for: volumes, organisations and delivery defect rates."""

from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass
class DefectRates:
    """Per good event, the chance of each delivery defect (broken kinds: one extra record each).

    The broken kinds add up to about 1.4% by default: visible in every day's quarantine,
    well under the hourly pipeline's 5% "the hour looks wrong" threshold."""

    duplicate: float = 0.01
    late: float = 0.02
    truncated: float = 0.002
    non_utf8: float = 0.002
    not_object: float = 0.002
    missing_field: float = 0.002
    wrong_type: float = 0.002
    unknown_operation: float = 0.002
    bad_time: float = 0.002

    @classmethod
    def none(cls) -> DefectRates:
        return cls(**{f.name: 0.0 for f in fields(cls)})

    @classmethod
    def uniform(cls, rate: float) -> DefectRates:
        return cls(**{f.name: rate for f in fields(cls)})


@dataclass
class ProducerConfig:
    seed: int = 42
    entities_per_hour: int = 40  # approximate entity events per hour
    workflow_updates_per_hour: int = 10
    objects_per_hour: int = 3  # per stream
    detail_as_string_share: float = 0.1
    defects: DefectRates = field(default_factory=DefectRates)
    orgs: tuple[str, ...] = ("739224", "728134")
