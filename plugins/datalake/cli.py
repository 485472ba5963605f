"""The `datalake` command: query, status, init, smoke, credentials, and (where the development
tools are installed) produce and the local platform."""

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
        if settings.warehouse_is_redshift:
            print(f"warning: {item}: {problem}", file=sys.stderr)
            continue
        print(
            f"warning: {item}: {problem}; a superuser should run "
            "include/sql/credentials/superuser_hardening.sql (see docs/credentials.md)",
            file=sys.stderr,
        )
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
        raise ValueError(
            f"the SQL is not UTF-8 text (binary input?): {exc.reason} at byte {exc.start}"
        ) from None
    result = run_query(sql)
    sys.stdout.write(format_result(result, args.format))
    return 0


def _cmd_smoke(args) -> int:
    from datalake.config import state_dir
    from datalake.smoke import run_smoke

    log_file = Path(args.log_file) if args.log_file else state_dir() / "smoke.log"
    _log_to_file(log_file, also_console=args.verbose)
    print(f"datalake smoke: details (run manifests, timings) in {log_file}", flush=True)
    return 0 if run_smoke(out=lambda line: print(line, flush=True)) else 1


def _log_to_file(path: Path, also_console: bool) -> None:
    """The run's log records go to `path`; the console keeps one line per step unless
    `also_console`. Importing Airflow puts a stdout handler on the root logger, so Airflow is
    imported first and that handler taken off."""
    import logging

    import airflow  # noqa: F401  (configures logging; the smoke's S3 and warehouse hooks need it anyway)

    root = logging.getLogger()
    if not also_console:
        for handler in list(root.handlers):
            if type(handler) is logging.StreamHandler:
                root.removeHandler(handler)
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def _cmd_credentials(args) -> int:
    from datalake import credentials

    if args.action == "generate":
        credential = credentials.generate(args.org, created_by=args.created_by)
        sys.stdout.write(credentials.format_generated(credential, args.format))
    elif args.action == "list":
        sys.stdout.write(
            credentials.format_records(credentials.list_credentials(args.org), args.format)
        )
    else:
        sys.stdout.write(
            credentials.format_revoked(
                credentials.revoke(args.username, revoked_by=args.revoked_by)
            )
        )
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


COMMANDS_GROUP = "datalake.commands"


def _add_installed_commands(sub) -> None:
    """Subcommands that other installed distributions register under the entry-point group
    ``datalake.commands``: the development tools in dev/ (`produce`, `platform`) register
    there. The deployed image installs only this package, so there the group is empty and
    the command has no development subcommands; nothing here names dev/."""
    from importlib.metadata import entry_points

    for entry in entry_points(group=COMMANDS_GROUP):
        try:
            register = entry.load()
        except ModuleNotFoundError as exc:
            # Metadata of a distribution whose code is not on the path (an image built
            # without dev/ from a virtualenv's files): its commands are simply absent.
            if exc.name and exc.name.split(".")[0] == entry.module.split(".")[0]:
                continue
            raise
        register(sub)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="datalake", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("status", help="print the endpoints as KEY=VALUE lines").set_defaults(
        func=_cmd_status
    )
    sub.add_parser(
        "init", help="create the buckets and apply the warehouse DDL (idempotent)"
    ).set_defaults(func=_cmd_init)

    query = sub.add_parser("query", help="run Redshift SQL against the warehouse")
    query.add_argument("sql", nargs="?", help="SQL text, or - for standard input")
    query.add_argument("--file", "-f", help="read the SQL from a file")
    query.add_argument("--format", choices=("table", "csv", "json"), default="table")
    query.set_defaults(func=_cmd_query)

    smoke = sub.add_parser(
        "smoke",
        help="one synthetic hour end to end against the configured S3 and "
        "warehouse, then removed; PASS/FAIL per step",
    )
    smoke.add_argument(
        "-v", "--verbose", action="store_true", help="also print the log records on the console"
    )
    smoke.add_argument(
        "--log-file", default=None, help="where the log records go (default: <state dir>/smoke.log)"
    )
    smoke.set_defaults(func=_cmd_smoke)

    creds = sub.add_parser(
        "credentials",
        help="generate, list or revoke an organization's read-only warehouse credentials",
    )
    creds_sub = creds.add_subparsers(dest="action", required=True)
    gen = creds_sub.add_parser(
        "generate",
        help="issue a credential; prints username, endpoint, database and the password once",
    )
    gen.add_argument("--org", required=True, help="organization id (letters, digits, '_' or '-')")
    gen.add_argument("--created-by", default=None, help="who asked for it (kept in the registry)")
    gen.add_argument("--format", choices=("text", "json"), default="text")
    gen.set_defaults(func=_cmd_credentials)
    lst = creds_sub.add_parser("list", help="the credential registry (no passwords)")
    lst.add_argument("--org", default=None, help="only this organization")
    lst.add_argument("--format", choices=("table", "csv", "json"), default="table")
    lst.set_defaults(func=_cmd_credentials)
    rev = creds_sub.add_parser(
        "revoke", help="revoke a credential: its login fails and its open sessions end"
    )
    rev.add_argument("username")
    rev.add_argument("--revoked-by", default=None, help="who revoked it (kept in the registry)")
    rev.set_defaults(func=_cmd_credentials)

    airflow = sub.add_parser(
        "airflow",
        help="run the Airflow CLI against the local platform, e.g. "
        "`datalake airflow backfill create --dag-id ... --from-date ... --to-date ...`",
    )
    airflow.add_argument("airflow_args", nargs=argparse.REMAINDER)
    airflow.set_defaults(func=_cmd_airflow)
    _add_installed_commands(sub)
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
            print(
                f"datalake {args.command}: error: the input is nested too deeply to be parsed",
                file=sys.stderr,
            )
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
