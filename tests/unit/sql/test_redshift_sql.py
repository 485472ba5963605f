"""The Redshift-only SQL, rendered as it would be sent (no Redshift here): parsed by sqlglot's
Redshift dialect and checked for what matters."""

import re

import sqlglot

from datalake.entity_schema import ENTITY_COLUMNS
from datalake.sqlfiles import read_sql, render_sql, statements


def test_ddl_parses_and_has_keys_and_the_13_columns_in_order():
    ddl = read_sql("redshift/ddl.sql")
    for statement in statements(ddl):
        assert sqlglot.parse_one(statement, read="redshift") is not None
    body = ddl.split("CREATE TABLE IF NOT EXISTS epilot_datalake.entity_operations (", 1)[1].split(
        "PRIMARY KEY"
    )[0]
    columns = [line.strip().split()[0].strip('"') for line in body.strip().splitlines()]
    assert tuple(columns) == ENTITY_COLUMNS
    assert "DISTKEY (entity_id)" in ddl and "COMPOUND SORTKEY (year, month, schema" in ddl


def test_copy_from_the_runs_parquet_with_an_iam_role():
    sql = render_sql(
        "redshift/stage_entity_operations.sql",
        staging_uri="s3://lake/_staging/entity_operations/2026112810/",
        iam_role="arn:aws:iam::123456789012:role/datalake-copy",
    )
    copy = [s for s in statements(sql) if s.startswith("COPY")][0]
    assert re.fullmatch(
        r"COPY stage_entity_operations\s+FROM 's3://lake/_staging/entity_operations/2026112810/'\s+"
        r"IAM_ROLE 'arn:aws:iam::123456789012:role/datalake-copy'\s+FORMAT AS PARQUET",
        copy,
    )
    create = [s for s in statements(sql) if "CREATE TEMP TABLE" in s][0].split(
        "CREATE TEMP TABLE", 1
    )[1]
    names = [
        line.strip().split()[0].strip('"')
        for line in create.split("(", 1)[1].rsplit(")", 1)[0].strip().splitlines()
    ]
    # COPY from Parquet maps by position: the stage columns must be the Parquet column order.
    assert tuple(names) == (*ENTITY_COLUMNS, "_seq")


def test_unload_writes_one_month_into_its_folder_named_after_the_run():
    # PARTITION BY would append '/' to the prefix and drop the partition columns from the
    # files; the layout itself is tested through the Redshift double (test_entity_operations_dag).
    from datalake.entity.parquet import curated_prefix

    prefix = curated_prefix("entity_operations", "2026", "11", "2026112810")
    sql = render_sql(
        "redshift/unload_entity_operations.sql",
        prefix_uri=f"s3://lake/{prefix}",
        year="2026",
        month="11",
        iam_role="arn:aws:iam::1:role/r",
    )
    assert "TO 's3://lake/entity_operations/year=2026/month=11/part-2026112810-'" in sql
    assert "WHERE year = ''2026'' AND month = ''11''" in sql
    assert not [line for line in sql.splitlines() if line.startswith("PARTITION BY")]
    assert "FORMAT AS PARQUET" in sql and "ALLOWOVERWRITE" in sql
    assert "ENCRYPTED AUTO" in sql


def test_merge_sql_is_the_same_for_both_warehouses_and_redshift_parses_it():
    for name in (
        "entity_operations/dedupe.sql",
        "entity_operations/merge.sql",
        "entity_operations/current_entities_rank.sql",
        "entity_operations/mark_stale_snapshots.sql",
        "redshift/insert_entity_operations.sql",
        "redshift/insert_current_entities.sql",
    ):
        sql = render_sql(name)
        for statement in statements(sql):
            sqlglot.parse_one(statement.replace("%(run_key)s", "'2026112810'"), read="redshift")
        assert "ON CONFLICT" not in sql and "TRUNCATE" not in sql


def test_redshift_stage_gives_the_keys_the_shared_dedupe_works_on():
    sql = render_sql(
        "redshift/stage_entity_operations.sql",
        staging_uri="s3://lake/x/",
        iam_role="arn:aws:iam::1:role/r",
    )
    keys = [s for s in statements(sql) if "stage_keys" in s]
    assert len(keys) == 1 and "_seq" in keys[0] and "FROM stage_entity_operations" in keys[0]
    # Redshift's rows come from the stage, kept to the deduped rows for the UNLOAD.
    insert = render_sql("redshift/insert_entity_operations.sql")
    assert (
        "NOT EXISTS (SELECT 1 FROM stage_keys" in insert
        and "FROM stage_entity_operations" in insert
    )


def test_redshift_ddl_creates_every_table_of_the_local_ddl():
    import re as _re

    def tables(sql):
        return {m.lower() for m in _re.findall(r"CREATE TABLE IF NOT EXISTS (\S+)", sql)}

    assert tables(read_sql("warehouse/ddl.sql")) <= tables(read_sql("redshift/ddl.sql"))


def test_conflicting_duplicate_and_migration_sql_parse_as_redshift():
    """No arrays (Redshift has none): the id list is placeholders, the seq list inlined ints."""
    params = {"%(run_key)s": "'2026112810'", "%(id_0)s": "'a'", "%(id_1)s": "'b'"}
    params.update({f"%({name})s": "'x'" for name in ("schema", "table", "column")})
    for name, render in (
        ("entity_operations/foreign_copies.sql", {}),
        (
            "entity_operations/loaded_rows.sql",
            {"columns": '"id", "detail"', "ids": "%(id_0)s, %(id_1)s"},
        ),
        ("redshift/staged_rows.sql", {"columns": '"id", "_seq"', "seqs": "1, 2"}),
        ("workflow/conflicts.sql", {}),
        ("entity_operations/later_copies.sql", {}),
        ("workflow/later_copies.sql", {}),
        ("warehouse/column_exists.sql", {}),
        ("warehouse/add_column.sql", {"table": "s.t", "column": "c", "kind": "varchar(64)"}),
    ):
        for statement in statements(render_sql(name, **render) if render else read_sql(name)):
            for placeholder, value in params.items():
                statement = statement.replace(placeholder, value)
            sqlglot.parse_one(statement, read="redshift")
            assert "ANY(" not in statement.upper()
