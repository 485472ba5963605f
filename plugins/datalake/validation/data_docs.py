"""GX Data Docs of each hourly run, in the lake: ``s3://<lake>/data_docs/``.

Each process task keeps the GX validation results of its chunks (trimmed: counts and GX's
partial lists of up to 20 unexpected values, not the full per-row index lists, which the
quarantine files already hold) under ``validation_results/<stream>/<run key>/<attempt>/``.
After the hour is loaded, ``publish_hour`` puts them in an in-memory GX context and has GX's
SiteBuilder render them, then uploads the pages into one shared site:

    data_docs/static/...                                   GX's styles and images, uploaded once
    data_docs/validations/<suite>/<stream>-<run key>-<attempt>-<batch>-<chunk>/<time>/<id>.html
    data_docs/hours/<stream>/<run key>/<attempt>.json       the run's page list (for the UI page)

Per attempt (hourly/lake.py), like the run's staging and quarantine files: two runs of one
hour at once (a scheduled run and a manual window over it) each keep their own results and
pages, neither overwrites nor removes the other's. The hour's page links the pages of the run
that published last (hour_pages); earlier runs' stay findable under the hour's folder until
the retention removes them. (Lakes written before the attempt was part of the names hold
``data_docs/hours/<stream>/<run key>.json``; hour_pages reads it when there is nothing newer.)

Retention: ``expire`` removes the docs and kept results of hours older than
DATALAKE_DATA_DOCS_RETENTION_DAYS (default 30) each time an hour is published (docs are
derived: the manifests, quarantine and warehouse keep the facts).

GX is imported inside the functions (DAG files must parse fast).
"""

from __future__ import annotations

import gzip
import html
import json
import logging
import mimetypes
import os
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DOCS_ROOT = "data_docs"
RESULTS_ROOT = "validation_results"
DEFAULT_RETENTION_DAYS = 30
STATIC_MARKER = f"{DOCS_ROOT}/static/styles/data_docs_default_styles.css"
# What GX's result keeps per expectation for the docs (the full lists stay out).
KEPT_RESULT_KEYS = (
    "element_count",
    "missing_count",
    "missing_percent",
    "unexpected_count",
    "unexpected_percent",
    "unexpected_percent_total",
    "unexpected_percent_nonmissing",
    "partial_unexpected_list",
    "partial_unexpected_counts",
    "observed_value",
)


# The parts of a result that hold values as producers wrote them. GX's renderer puts them
# into the pages unescaped, so they are HTML-escaped here, before anything is rendered: the
# page shows `<script>` as text. (The app's Content-Security-Policy is the second line.)
PRODUCER_VALUE_KEYS = ("partial_unexpected_list", "partial_unexpected_counts")


def _escaped(value):
    """`value` with every string in it (lists and dicts walked) HTML-escaped."""
    if isinstance(value, str):
        return html.escape(value, quote=True)
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    if isinstance(value, dict):
        return {k: _escaped(v) for k, v in value.items()}
    return value


def retention_days() -> int:
    return int(os.environ.get("DATALAKE_DATA_DOCS_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


def trimmed_result(result: Any) -> dict:
    """A GX ExpectationSuiteValidationResult as JSON, without the per-row lists (dropped from
    ``result`` in place first, so they are never serialized: read the outcome before)."""
    for res in result.results:
        res.result = {
            k: _escaped(v) if k in PRODUCER_VALUE_KEYS else v
            for k, v in (res.result or {}).items()
            if k in KEPT_RESULT_KEYS
        }
    body = result.to_json_dict()
    # No wall-clock time in the lake: a rerun of the hour writes the same bytes.
    (body.get("meta") or {}).get("batch_markers", {}).pop("ge_load_time", None)
    return body


def results_key(stream: str, run_key: str, attempt: str, batch_name: str) -> str:
    return f"{RESULTS_ROOT}/{stream}/{run_key}/{attempt}/{batch_name}.json.gz"


def write_results(client, bucket: str, key: str, results: list[dict]) -> str | None:
    if not results:
        return None
    body = json.dumps(results, sort_keys=True).encode("utf-8")
    client.put_object(Bucket=bucket, Key=key, Body=gzip.compress(body, mtime=0))
    return key


def hour_indexes_prefix(stream: str, run_key: str) -> str:
    return f"{DOCS_ROOT}/hours/{stream}/{run_key}/"


def hour_index_key(stream: str, run_key: str, attempt: str) -> str:
    return f"{hour_indexes_prefix(stream, run_key)}{attempt}.json"


def legacy_hour_index_key(stream: str, run_key: str) -> str:
    """The one page list per hour of lakes written before runs kept their own."""
    return f"{DOCS_ROOT}/hours/{stream}/{run_key}.json"


def hour_index_keys(client, bucket: str, stream: str, run_key: str) -> list[str]:
    """The page lists of the hour's runs, the one published last first (then the legacy
    one, if any)."""
    listed = [
        (obj["LastModified"], obj["Key"])
        for page in client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=hour_indexes_prefix(stream, run_key)
        )
        for obj in page.get("Contents", [])
    ]
    keys = [key for _, key in sorted(listed, reverse=True)]
    legacy = legacy_hour_index_key(stream, run_key)
    return keys + ([legacy] if _exists(client, bucket, legacy) else [])


def hour_pages(client, bucket: str, stream: str, run_key: str) -> list[str]:
    """The GX Data Docs pages (paths under data_docs/) of the hour's run that published last;
    [] when none (expired, or a stream without docs)."""
    keys = hour_index_keys(client, bucket, stream, run_key)
    if not keys:
        return []
    body = client.get_object(Bucket=bucket, Key=keys[0])["Body"].read()
    return list(json.loads(body).get("pages", []))


def publish_hour(
    client, bucket: str, stream: str, run_key: str, attempt: str, result_keys: list[str]
) -> list[str]:
    """Render the validation results one run of the hour kept as Data Docs into the lake;
    returns the pages' keys (relative to data_docs/)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResultSchema,
    )
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    from datalake.validation.runner import _ephemeral_context

    hour = datetime.strptime(run_key, "%Y%m%d%H").replace(tzinfo=timezone.utc)
    context = _ephemeral_context()
    schema = ExpectationSuiteValidationResultSchema()
    with tempfile.TemporaryDirectory(prefix="datalake-docs-") as out:
        context.add_data_docs_site(
            "lake",
            {
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": out,
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
        for key in sorted(result_keys):
            batch_name = key.rsplit("/", 1)[-1].removesuffix(".json.gz")
            chunks = json.loads(
                gzip.decompress(client.get_object(Bucket=bucket, Key=key)["Body"].read())
            )
            for number, body in enumerate(chunks):
                result = schema.load(body)
                identifier = ValidationResultIdentifier(
                    expectation_suite_identifier=ExpectationSuiteIdentifier(name=result.suite_name),
                    run_id=RunIdentifier(
                        run_name=f"{stream}-{run_key}-{attempt}-{batch_name}-{number:03d}",
                        run_time=hour,
                    ),
                    batch_identifier=f"{batch_name}-{number:03d}",
                )
                context.validation_results_store.set(identifier, result)
        context.build_data_docs(site_names=["lake"])
        pages = _upload_site(client, bucket, Path(out))
    client.put_object(
        Bucket=bucket,
        Key=hour_index_key(stream, run_key, attempt),
        Body=json.dumps(
            {"stream": stream, "run_key": run_key, "attempt": attempt, "pages": pages}, indent=2
        ).encode("utf-8"),
        ContentType="application/json",
    )
    return pages


def _upload_site(client, bucket: str, site: Path) -> list[str]:
    """The hour's validation pages; GX's static files once (they are the same every hour); the
    per-run index.html is not uploaded (the UI page lists the hour's pages)."""
    upload_static = not _exists(client, bucket, STATIC_MARKER)
    pages = []
    for path in sorted(site.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(site).as_posix()
        if relative == "index.html" or (relative.startswith("static/") and not upload_static):
            continue
        if relative.startswith("validations/"):
            pages.append(relative)
        content_type = mimetypes.guess_type(relative)[0] or "application/octet-stream"
        client.put_object(
            Bucket=bucket,
            Key=f"{DOCS_ROOT}/{relative}",
            Body=path.read_bytes(),
            ContentType=content_type,
        )
    return pages


def remove_hour(client, bucket: str, stream: str, run_key: str) -> None:
    """Delete one hour's docs pages, page lists and kept results (every run's); GX's static
    files too once no hour has docs any more (`datalake smoke` leaves the lake as it found
    it)."""
    from datalake.s3 import delete_keys, iter_keys

    index_keys = hour_index_keys(client, bucket, stream, run_key)
    keys = [k for k, _ in iter_keys(client, bucket, f"{RESULTS_ROOT}/{stream}/{run_key}/")]
    for index_key in index_keys:
        index = json.loads(client.get_object(Bucket=bucket, Key=index_key)["Body"].read())
        keys += [f"{DOCS_ROOT}/{page}" for page in index["pages"]] + [index_key]
    others = (k for k, _ in iter_keys(client, bucket, f"{DOCS_ROOT}/hours/"))
    if not any(k not in index_keys for k in others):
        keys += [k for k, _ in iter_keys(client, bucket, f"{DOCS_ROOT}/static/")]
    delete_keys(client, bucket, keys)


def _exists(client, bucket: str, key: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        client.head_object(Bucket=bucket, Key=key)
        return True
    except ClientError:
        return False


def expire(client, bucket: str, now: datetime, days: int | None = None) -> int:
    """Delete the docs pages, hour indexes and kept results of hours older than ``days``."""
    from datalake.s3 import delete_keys, iter_keys

    cutoff = (now - timedelta(days=retention_days() if days is None else days)).strftime("%Y%m%d%H")
    old = []
    for prefix in (f"{DOCS_ROOT}/hours/", f"{DOCS_ROOT}/validations/", f"{RESULTS_ROOT}/"):
        for key, _ in iter_keys(client, bucket, prefix):
            run_key = _run_key_of(key)
            if run_key is not None and run_key < cutoff:
                old.append(key)
    return delete_keys(client, bucket, old)


def _run_key_of(key: str) -> str | None:
    """The YYYYMMDDHH run key in a docs or results key (a path part, or <stream>-<key>-...)."""
    for part in key.split("/"):
        stem = part.removesuffix(".json.gz").removesuffix(".json")
        if len(stem) == 10 and stem.isdigit():
            return stem
        for piece in part.split("-"):
            if len(piece) == 10 and piece.isdigit():
                return piece
    return None


def publish_hour_safely(
    client,
    bucket: str,
    stream: str,
    run_key: str,
    attempt: str,
    result_keys: list[str],
    now: datetime | None = None,
) -> list[str]:
    """Docs are derived, never a reason to fail an hour that is loaded: errors are logged."""
    import time

    started = time.perf_counter()
    try:
        pages = (
            publish_hour(client, bucket, stream, run_key, attempt, result_keys)
            if result_keys
            else []
        )
        expired = expire(client, bucket, now or datetime.now(timezone.utc))
        log.info(
            "data docs of %s %s: %d page(s) in s3://%s/%s/, %d expired object(s) removed, %.2f s",
            stream,
            run_key,
            len(pages),
            bucket,
            DOCS_ROOT,
            expired,
            time.perf_counter() - started,
        )
        return pages
    except Exception:
        log.exception(
            "data docs of %s %s could not be built (the hour is loaded all the same)",
            stream,
            run_key,
        )
        return []


def publish_loaded_hour(
    client, bucket: str, stream: str, run_key: str, attempt: str, batch_counts: list[dict]
) -> list[str]:
    """Data Docs of an hour just loaded by the run of `attempt`, from the GX results its
    batches kept (if any)."""
    result_keys = [c["results_key"] for c in batch_counts if c.get("results_key")]
    if not result_keys:
        return []
    return publish_hour_safely(client, bucket, stream, run_key, attempt, result_keys)
