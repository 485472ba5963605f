"""The workflow SQL files: the Redshift COPY / UNLOAD text they render, and column orders that
Parquet's positional COPY relies on."""

from __future__ import annotations

import re

import sqlglot

from datalake.sqlfiles import read_sql, render_sql, statements
from datalake.workflow.batch import STAGES
from datalake.workflow.flatten import TABLES, arrow_schema
from datalake.workflow.load import stage_columns


def _create_columns(sql: str, table: str) -> list[str]:
    body = re.search(
        rf"CREATE (?:TEMP )?TABLE (?:IF NOT EXISTS )?{re.escape(table)} \((.*?)\n\);",
        sql,
        re.S | re.I,
    )
    assert body, table
    return [
        line.strip().split()[0]
        for line in body.group(1).splitlines()
        if line.strip() and not line.strip().startswith(("CONSTRAINT", "--"))
    ]


def test_redshift_stage_renders_one_copy_per_stage_from_its_prefix():
    sql = render_sql(
        "redshift/stage_workflow.sql",
        staging_uri="s3://lake/_staging/workflow_executions/2026110310/",
        iam_role="arn:aws:iam::123456789012:role/copy",
        stages=list(STAGES),
    )
    for stage in STAGES:
        assert (
            f"COPY stage_workflow_{stage}\nFROM 's3://lake/_staging/workflow_executions/2026110310/{stage}/'\n"
            "IAM_ROLE 'arn:aws:iam::123456789012:role/copy'\nFORMAT AS PARQUET;"
        ) in sql
        # COPY maps Parquet columns by position: the stage table's order is the staged files' order.
        assert _create_columns(sql, f"stage_workflow_{stage}") == list(stage_columns(stage))
    assert len(statements(sql)) == 2 * len(STAGES)
    for statement in statements(sql):
        sqlglot.parse_one(statement, read="redshift")


def test_staged_parquet_order_matches_the_stage_columns():
    for stage, columns in STAGES.items():
        if stage != "events":
            assert arrow_schema(columns, staged=True).names == list(stage_columns(stage))


def test_local_ddl_column_order_is_the_diagram_order():
    ddl = read_sql("warehouse/ddl.sql")
    for table, columns in TABLES.items():
        assert _create_columns(ddl, f"epilot_datalake.{table}") == list(columns)
    assert _create_columns(ddl, "datalake_ops.workflow_execution_version") == [
        "id",
        "org_id",
        "last_update_time",
        "deleted",
        "event_id",
        "run_key",
    ]


def test_redshift_unload_renders_a_versioned_prefix():
    sql = render_sql(
        "redshift/unload_workflow_snapshot.sql",
        table="WorkflowTasks",
        columns="org_id, id",
        order_by="workflow_execution_id, id",
        prefix_uri="s3://lake/workflow/workflowtasks/version=v1/",
        iam_role="arn:aws:iam::1:role/r",
    )
    assert (
        "UNLOAD ('SELECT org_id, id FROM epilot_datalake.WorkflowTasks "
        "ORDER BY workflow_execution_id, id')" in sql
    )
    assert "TO 's3://lake/workflow/workflowtasks/version=v1/part-'" in sql
    assert "FORMAT AS PARQUET" in sql and "IAM_ROLE 'arn:aws:iam::1:role/r'" in sql


def test_merge_sql_is_plain_redshift_sql():
    for name in ("dedupe", "winners", "merge"):
        for statement in statements(read_sql(f"workflow/{name}.sql")):
            sqlglot.parse_one(statement.replace("%(run_key)s", "'k'"), read="redshift")


def test_reports_parse_as_redshift():
    from datalake.config import PROJECT_ROOT

    reports = sorted((PROJECT_ROOT / "include" / "sql" / "reports").glob("*.sql"))
    assert {p.stem for p in reports} >= {
        "executions_per_status_month",
        "closing_reason_counts",
        "phase_duration",
        "open_tasks_per_assignee",
        "overdue_tasks",
    }
    for path in reports:
        assert len(sqlglot.parse(path.read_text(), read="redshift")) == 1
