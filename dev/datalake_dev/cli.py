"""The development subcommands of `datalake` (`produce`, `platform`): registered through the
entry-point group ``datalake.commands`` by dev/pyproject.toml, so the deployed package never
imports this one and a virtualenv with dev/ installed gets them."""

from __future__ import annotations

import argparse


def _cmd_produce(args) -> int:
    from datalake.config import load_settings
    from datalake.s3 import s3_client
    from datalake_dev import producer

    settings = load_settings()
    client = s3_client(settings)
    config = producer.ProducerConfig(seed=args.seed, entities_per_hour=args.events_per_hour)
    if args.no_defects:
        config.defects = producer.DefectRates.none()
    if args.follow:
        producer.follow(
            client, settings.landing_bucket, interval_seconds=args.interval, config=config
        )
        return 0
    objects = producer.produce_past_hours(
        client, settings.landing_bucket, args.hours, config=config
    )
    events = sum(len(o.events) for o in objects)
    broken = sum(len(o.broken) for o in objects)
    print(
        f"wrote {len(objects)} objects ({events} events, {broken} broken records) "
        f"for {args.hours} past hours to s3://{settings.landing_bucket}/"
    )
    return 0


def _cmd_platform(args) -> int:
    from datalake_dev.local import platform

    if args.action == "up":
        platform.up(
            seed_hours=args.seed_hours,
            follow_interval=args.interval,
            with_airflow=not args.no_airflow,
        )
    else:
        platform.down()
    return 0


def _past_hours(text: str) -> int:
    from datalake_dev.producer import MAX_PAST_HOURS

    try:
        hours = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= hours <= MAX_PAST_HOURS:
        raise argparse.ArgumentTypeError(
            f"must be 1 to {MAX_PAST_HOURS} hours (30 days), not {hours}"
        )
    return hours


def register(sub) -> None:
    """Add `produce` and `platform` to the `datalake` command's subparsers."""
    produce = sub.add_parser("produce", help="write sample Firehose objects into the landing zone")
    produce.add_argument(
        "--hours", type=_past_hours, default=1, help="number of past hours to produce (1 to 720)"
    )
    produce.add_argument(
        "--follow", action="store_true", help="keep producing for the current hour"
    )
    produce.add_argument(
        "--interval", type=float, default=60.0, help="seconds between objects with --follow"
    )
    produce.add_argument("--seed", type=int, default=42)
    produce.add_argument("--events-per-hour", type=int, default=40)
    produce.add_argument(
        "--no-defects", action="store_true", help="no duplicates, late or broken records"
    )
    produce.set_defaults(func=_cmd_produce)

    plat = sub.add_parser(
        "platform", help="start or stop the local platform (what make run / make stop call)"
    )
    plat.add_argument("action", choices=("up", "down"))
    plat.add_argument("--seed-hours", type=int, default=6)
    plat.add_argument("--interval", type=float, default=60.0)
    plat.add_argument("--no-airflow", action="store_true")
    plat.set_defaults(func=_cmd_platform)
