"""The monthly snapshot's pure parts: months, ids, keys, intervals, rendered SQL, the DAG's
shape."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from datalake.entity.monthly_snapshot import (
    Month,
    expected_hour_keys,
    month_for_interval,
    snapshot_id,
    snapshot_lake_key,
)
from datalake.sqlfiles import read_sql, render_sql, statements

ROOT = Path(__file__).resolve().parents[3]
DAG_FILE = ROOT / "dags" / "entity_operations_monthly_snapshot.py"
UTC = timezone.utc


def test_month_arithmetic_crosses_years():
    assert Month(2026, 12).next() == Month(2027, 1)
    assert Month(2027, 1).prev() == Month(2026, 12)
    assert Month(2026, 11).prev().prev() == Month(2026, 9)
    assert Month.parse("202609") == Month(2026, 9)
    assert Month(2026, 9).key == "202609" and Month(2026, 9).label == "2026-09"
    assert Month(2026, 12).time_text == "2026-12-01T00:00:00.000Z"
    assert Month(2026, 9).partition == {"year": "2026", "month": "9"}  # unpadded, as stored
    assert Month(2026, 9) < Month(2026, 10) < Month(2027, 1)
    with pytest.raises(ValueError):
        Month.parse("2026-9")
    with pytest.raises(ValueError):
        Month(2026, 13)


def test_ids_and_lake_key_are_deterministic_per_entity_and_month():
    entity = "5da0a718-c822-403d-9f5d-20d4584e0528"
    assert snapshot_id(entity, Month(2026, 9)) == f"snapshot-{entity}-2026-09"
    assert snapshot_id(entity, Month(2026, 9)) != snapshot_id(entity, Month(2026, 10))
    assert (
        snapshot_lake_key(Month(2026, 9))
        == "entity_operations/year=2026/month=9/snapshot-202609.parquet"
    )


def test_a_run_snapshots_the_month_its_interval_ends_in():
    assert month_for_interval(
        datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
    ) == Month(2026, 11)
    assert month_for_interval(
        datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    ) == Month(2027, 1)
    for start, end in [
        (datetime(2026, 10, 2, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)),
        (datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)),
        (datetime(2026, 10, 1, 10, tzinfo=UTC), datetime(2026, 10, 1, 11, tzinfo=UTC)),
    ]:
        with pytest.raises(ValueError, match="one calendar month"):
            month_for_interval(start, end)


def test_expected_hours_cover_the_whole_month():
    hours = expected_hour_keys(Month(2028, 2))
    assert len(hours) == 29 * 24
    assert hours[0] == "2028020100" and hours[-1] == "2028022923"
    assert len(expected_hour_keys(Month(2026, 10))) == 31 * 24  # UTC: no DST hour


def _placeholders_only(sql: str) -> bool:
    """psycopg treats every % as a placeholder: only %(name)s may appear."""
    return not re.sub(r"%\([a-z_]+\)s", "", sql).count("%")


def test_build_sql_reads_only_the_base_partition_and_the_months_between():
    sql = render_sql(
        "snapshot/build_rows.sql",
        base={"year": "2026", "month": "8"},
        between=[{"year": "2026", "month": "9"}, {"year": "2026", "month": "10"}],
    )
    assert "o.year = '2026' AND o.month = '8'" in sql
    assert "o.year = '2026' AND o.month = '10' AND o.\"detail-type\" = 'EntityOperation'" in sql
    assert "o.time < %(month_start)s" not in sql
    assert (
        "'updateEntity'" in sql
        and "'SnapshotOperation'" in sql
        and "createEntity" not in sql.split("--")[-1]
    )
    assert _placeholders_only(sql)
    assert len(statements(sql)) == 1


def test_first_snapshot_falls_back_to_all_history_before_the_month():
    sql = render_sql("snapshot/build_rows.sql", base=None, between=[])
    assert "o.\"detail-type\" = 'EntityOperation' AND o.time < %(month_start)s" in sql
    assert "o.year =" not in sql
    assert _placeholders_only(sql)


@pytest.mark.parametrize(
    "relative",
    [
        "snapshot/create_rows.sql",
        "snapshot/count_changes.sql",
        "snapshot/replace_rows.sql",
        "snapshot/drop_rows.sql",
        "snapshot/hourly_runs.sql",
        "entity_operations/mark_stale_snapshots.sql",
    ],
)
def test_sql_files_are_portable_and_parameter_safe(relative):
    sql = read_sql(relative)
    assert _placeholders_only(sql)
    upper = "\n".join(
        line.split("--")[0] for line in sql.splitlines()
    ).upper()  # code, not comments
    # Runs on Redshift too: no PostgreSQL-only constructs.
    for construct in ("ON CONFLICT", "ON COMMIT DROP", "RETURNING", "::"):
        assert construct not in upper, (relative, construct)


def test_mark_sql_marks_the_first_snapshot_month_after_each_loaded_month():
    sql = read_sql("entity_operations/mark_stale_snapshots.sql")
    assert "snapshot_refresh_needed" in sql and "stage_keys" in sql
    assert "snap.run_key > s.event_month" in sql and "MIN(snap.run_key)" in sql
    assert "snapshot_refresh_needed" in read_sql("warehouse/ddl.sql")


def test_redshift_unload_writes_one_sorted_file_per_month():
    from datalake.entity.monthly_snapshot import Month, snapshot_lake_prefix

    prefix = snapshot_lake_prefix(Month(2026, 9))
    assert (
        prefix == "entity_operations/year=2026/month=9/snapshot-202609"
    )  # the local file's name starts so too
    sql = render_sql(
        "snapshot/unload_redshift.sql",
        prefix_uri=f"s3://lake/{prefix}-",
        iam_role="arn:aws:iam::1:role/r",
    )
    assert "TO 's3://lake/entity_operations/year=2026/month=9/snapshot-202609-'" in sql
    assert "ORDER BY id" in sql and "PARALLEL OFF" in sql and "ALLOWOVERWRITE" in sql
    assert "ENCRYPTED AUTO" in sql
    assert "IAM_ROLE 'arn:aws:iam::1:role/r'" in sql


# Parse time and parse-time imports of every DAG file: tests/dags/test_dag_integrity.py.


def test_dag_shape():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAG_FILE))
    assert not bag.import_errors, bag.import_errors
    dag = bag.dags["entity_operations_monthly_snapshot"]
    assert dag.max_active_runs == 1
    assert type(dag.timetable).__name__ == "CronDataIntervalTimetable"
    assert dag.timetable.expression == "0 0 1 * *" and str(dag.timetable.timezone) in (
        "UTC",
        "Timezone('UTC')",
    )
    assert dag.params["require_complete_hours"] is True
    check, build = dag.task_dict["check_hourly_runs"], dag.task_dict["build_snapshot"]
    # The wait is a sensor that frees its worker slot between checks, not a task that fails
    # and retries until the hours are there.
    assert check.mode == "reschedule" and check.exponential_backoff
    assert check.poke_interval == timedelta(minutes=2).total_seconds()
    assert (
        check.max_wait <= timedelta(hours=2) and check.timeout == timedelta(days=3).total_seconds()
    )
    assert build.pool == "default_pool" and build.max_active_tis_per_dag == 1
    assert build.upstream_task_ids == {"check_hourly_runs"}
    # The page in the UI is short and points to the whole story, which names the param and the
    # marks.
    assert "docs/dags.md" in dag.doc_md
    story = (
        (ROOT / "docs" / "dags.md")
        .read_text(encoding="utf-8")
        .split("## entity_operations_monthly_snapshot")[1]
    )
    assert "require_complete_hours" in story and "snapshot_refresh_needed" in story
