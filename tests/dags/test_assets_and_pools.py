"""What the DAGs declare about their data and their slots: every inlet and outlet is an Asset of
datalake.assets with a standard s3:// or redshift:// URI that the amazon provider turns into an
OpenLineage dataset, and no task needs a pool that a deployment would have to create first."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert bag.import_errors == {}
    return bag


def _declared():
    from airflow.sdk import Asset

    from datalake import assets

    found = []
    for value in vars(assets).values():
        values = value if isinstance(value, (list, tuple)) else [value]
        found += [a for a in values if isinstance(a, Asset)]
    return {a.uri: a for a in found}


def test_every_inlet_and_outlet_is_declared_in_the_assets_module(dagbag):
    declared = _declared()
    seen = set()
    for dag in dagbag.dags.values():
        for task in dag.tasks:
            for asset in [*task.inlets, *task.outlets]:
                where = f"{dag.dag_id}.{task.task_id}"
                assert asset.uri in declared, f"{where}: {asset.uri} not in datalake.assets"
                assert asset.name == declared[asset.uri].name
                seen.add(asset.uri)
    for dag_id in ("entity_operations_hourly", "workflow_executions_hourly"):
        load = dagbag.dags[dag_id].task_dict["load_warehouse"]
        assert load.inlets and load.outlets
    names = {a.name.split("@")[0] for a in declared.values() if a.uri in seen}
    assert {"entity_operations", "workflow_tables", "landing_entity_operations"} <= names
    # Name and URI name the same place, so a new bucket or endpoint is a new asset, not a clash.
    for asset in declared.values():
        assert asset.name.split("@", 1)[1] in asset.uri


def test_asset_uris_are_the_amazon_provider_s_and_convert_to_openlineage_datasets():
    from airflow.providers.amazon.aws.assets import redshift, s3

    from datalake import assets

    converters = {
        "s3": s3.convert_asset_to_openlineage,
        "redshift": redshift.convert_asset_to_openlineage,
    }
    for uri, asset in _declared().items():
        scheme = urlsplit(uri).scheme
        assert scheme in converters, f"{asset.name}: {uri} is not an s3:// or redshift:// URI"
        dataset = converters[scheme](asset, None)
        assert dataset.namespace.startswith(f"{scheme}://") and dataset.name
    table = converters["redshift"](assets.ENTITY_OPERATIONS, None)
    assert table.name == "epilot_datalake.epilot_datalake.entity_operations"


def test_the_warehouse_endpoint_comes_from_the_environment_only(monkeypatch):
    from datalake import assets

    monkeypatch.delenv("WAREHOUSE_URI", raising=False)
    monkeypatch.setenv(
        "AIRFLOW_CONN_REDSHIFT_DEFAULT",
        '{"conn_type": "redshift", "host": "lake.abc.eu-central-1.redshift.amazonaws.com"}',
    )
    assert assets.warehouse_endpoint() == "lake.abc.eu-central-1.redshift.amazonaws.com:5439"
    monkeypatch.setenv("WAREHOUSE_URI", "postgresql://u:p@127.0.0.1:6543/epilot_datalake")
    assert assets.warehouse_endpoint() == "127.0.0.1:6543"


def test_the_old_import_of_entity_operations_still_works():
    """DAGs written against the hourly DAG file's ENTITY_OPERATIONS get the same Asset."""
    import runpy

    from datalake.assets import ENTITY_OPERATIONS

    namespace = runpy.run_path(str(ROOT / "dags" / "entity_operations_hourly.py"), run_name="probe")
    assert namespace["ENTITY_OPERATIONS"] is ENTITY_OPERATIONS


def test_no_task_needs_a_pool_a_deployment_would_have_to_create(dagbag):
    """Writers of one table are kept apart by the warehouse lock (datalake.locks) and by
    max_active_tis_per_dag=1 on each writing task, not by pools that exist only where someone
    created them: a task in a missing pool is never scheduled."""
    for dag in dagbag.dags.values():
        for task in dag.tasks:
            where = f"{dag.dag_id}.{task.task_id}"
            assert task.pool == "default_pool", f"{where} needs pool {task.pool}"
            if task.outlets:
                assert task.max_active_tis_per_dag == 1, f"{where} may run twice at once"
