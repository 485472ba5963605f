"""The `datalake` command (SPEC §6): query, status, produce, init, credentials, and the local platform."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _cmd_status(args) -> int:
    from datalake.config import load_settings

    for line in load_settings().status_lines():
        print(line)
    return 0


def _cmd_init(args) -> int:
    from datalake.config import load_settings
    from datalake.s3 import ensure_bucket, s3_client
    from datalake.warehouse_init import init_warehouse

    settings = load_settings()
    client = s3_client(settings)
    for bucket in (settings.landing_bucket, settings.lake_bucket):
        created = ensure_bucket(client, bucket, settings.aws_region)
        print(f"bucket {bucket}: {'created' if created else 'exists'}")
    gaps = init_warehouse(settings)
    print("warehouse: DDL and compatibility layer applied")
    for item, problem in gaps:
        print(f"warning: {item}: {problem}; a superuser should run include/sql/credentials/superuser_hardening.sql "
              "(see docs/credentials.md)", file=sys.stderr)
    return 0


def _cmd_query(args) -> int:
    from datalake.query import format_result, run_query

    try:
        if args.file:
            sql = Path(args.file).read_text(encoding="utf-8")
        elif args.sql and args.sql != "-":
            sql = args.sql
        else:
            sql = sys.stdin.buffer.read().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"the SQL is not UTF-8 text (binary input?): {exc.reason} at byte {exc.start}") from None
    result = run_query(sql)
    sys.stdout.write(format_result(result, args.format))
    return 0


def _cmd_smoke(args) -> int:
    from datalake.smoke import run_smoke

    return 0 if run_smoke(out=lambda line: print(line, flush=True)) else 1


def _cmd_produce(args) -> int:
    from datalake_dev import producer
    from datalake.config import load_settings
    from datalake.s3 import s3_client

    settings = load_settings()
    client = s3_client(settings)
    config = producer.ProducerConfig(seed=args.seed, entities_per_hour=args.events_per_hour)
    if args.no_defects:
        config.defects = producer.DefectRates.none()
    if args.follow:
        producer.follow(client, settings.landing_bucket, interval_seconds=args.interval, config=config)
        return 0
    objects = producer.produce_past_hours(client, settings.landing_bucket, args.hours, config=config)
    events = sum(len(o.events) for o in objects)
    broken = sum(len(o.broken) for o in objects)
    print(f"wrote {len(objects)} objects ({events} events, {broken} broken records) for {args.hours} past hours "
          f"to s3://{settings.landing_bucket}/")
    return 0


def _cmd_credentials(args) -> int:
    from datalake import credentials

    if args.action == "generate":
        credential = credentials.generate(args.org, created_by=args.created_by)
        sys.stdout.write(credentials.format_generated(credential, args.format))
    elif args.action == "list":
        sys.stdout.write(credentials.format_records(credentials.list_credentials(args.org), args.format))
    else:
        sys.stdout.write(credentials.format_revoked(credentials.revoke(args.username, revoked_by=args.revoked_by)))
    return 0


def _cmd_platform(args) -> int:
    from datalake_dev.local import platform

    if args.action == "up":
        platform.up(seed_hours=args.seed_hours, follow_interval=args.interval, with_airflow=not args.no_airflow)
    else:
        platform.down()
    return 0


def _cmd_airflow(args) -> int:
    """The Airflow CLI against the local platform (its AIRFLOW_HOME and metadata database)."""
    import os
    import subprocess

    from datalake.config import read_state

    env = read_state().get("airflow_cli_env")
    if not env:
        raise ValueError("the local platform has not been started here (make run)")
    airflow = str(Path(sys.executable).parent / "airflow")
    return subprocess.call([airflow, *args.airflow_args], env={**os.environ, **env})


def _past_hours(text: str) -> int:
    from datalake_dev.producer import MAX_PAST_HOURS

    try:
        hours = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= hours <= MAX_PAST_HOURS:
        raise argparse.ArgumentTypeError(f"must be 1 to {MAX_PAST_HOURS} hours (30 days), not {hours}")
    return hours


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="datalake", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("status", help="print the endpoints as KEY=VALUE lines").set_defaults(func=_cmd_status)
    sub.add_parser("init", help="create the buckets and apply the warehouse DDL (idempotent)").set_defaults(
        func=_cmd_init
    )

    query = sub.add_parser("query", help="run Redshift SQL against the warehouse")
    query.add_argument("sql", nargs="?", help="SQL text, or - for standard input")
    query.add_argument("--file", "-f", help="read the SQL from a file")
    query.add_argument("--format", choices=("table", "csv", "json"), default="table")
    query.set_defaults(func=_cmd_query)

    sub.add_parser("smoke", help="one synthetic hour end to end against the configured S3 and warehouse, "
                   "then removed; PASS/FAIL per step").set_defaults(func=_cmd_smoke)

    produce = sub.add_parser("produce", help="write sample Firehose objects into the landing zone")
    produce.add_argument("--hours", type=_past_hours, default=1, help="number of past hours to produce (1 to 720)")
    produce.add_argument("--follow", action="store_true", help="keep producing for the current hour")
    produce.add_argument("--interval", type=float, default=60.0, help="seconds between objects with --follow")
    produce.add_argument("--seed", type=int, default=42)
    produce.add_argument("--events-per-hour", type=int, default=40)
    produce.add_argument("--no-defects", action="store_true", help="no duplicates, late or broken records")
    produce.set_defaults(func=_cmd_produce)

    creds = sub.add_parser("credentials", help="generate, list or revoke an organization's read-only warehouse credentials")
    creds_sub = creds.add_subparsers(dest="action", required=True)
    gen = creds_sub.add_parser("generate", help="issue a credential; prints username, endpoint, database and the password once")
    gen.add_argument("--org", required=True, help="organization id (letters, digits, '_' or '-')")
    gen.add_argument("--created-by", default=None, help="who asked for it (kept in the registry)")
    gen.add_argument("--format", choices=("text", "json"), default="text")
    gen.set_defaults(func=_cmd_credentials)
    lst = creds_sub.add_parser("list", help="the credential registry (no passwords)")
    lst.add_argument("--org", default=None, help="only this organization")
    lst.add_argument("--format", choices=("table", "csv", "json"), default="table")
    lst.set_defaults(func=_cmd_credentials)
    rev = creds_sub.add_parser("revoke", help="revoke a credential: its login fails and its open sessions end")
    rev.add_argument("username")
    rev.add_argument("--revoked-by", default=None, help="who revoked it (kept in the registry)")
    rev.set_defaults(func=_cmd_credentials)

    plat = sub.add_parser("platform", help="start or stop the local platform (what make run / make stop call)")
    plat.add_argument("action", choices=("up", "down"))
    plat.add_argument("--seed-hours", type=int, default=6)
    plat.add_argument("--interval", type=float, default=60.0)
    plat.add_argument("--no-airflow", action="store_true")
    plat.set_defaults(func=_cmd_platform)
    airflow = sub.add_parser("airflow", help="run the Airflow CLI against the local platform, e.g. "
                             "`datalake airflow backfill create --dag-id ... --from-date ... --to-date ...`")
    airflow.add_argument("airflow_args", nargs=argparse.REMAINDER)
    airflow.set_defaults(func=_cmd_airflow)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "query" and not (args.sql or args.file) and sys.stdin.isatty():
        build_parser().error("query needs SQL text, --file or SQL on standard input")
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one clear line instead of a traceback for expected failures
        from datalake.errors import ConfigurationError

        if isinstance(exc, RecursionError):  # sqlglot's recursive descent on deeply nested SQL
            print(f"datalake {args.command}: error: the input is nested too deeply to be parsed",
                  file=sys.stderr)
            return 2
        if isinstance(exc, (ConfigurationError, OSError, ValueError)):
            print(f"datalake {args.command}: error: {_one_line(exc)}", file=sys.stderr)
            return 2
        import psycopg

        if isinstance(exc, psycopg.Error):
            print(f"datalake {args.command}: SQL error: {str(exc).strip()}", file=sys.stderr)
            return 2
        if args.command == "query":  # whatever else fails on this side of the connection
            print(f"datalake query: error: {type(exc).__name__}: {_one_line(exc)}", file=sys.stderr)
            return 2
        raise


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


if __name__ == "__main__":
    sys.exit(main())
