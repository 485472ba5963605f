"""`make run` for real, then the product driven the way users drive it.

The local platform comes up from scratch (embedded PostgreSQL, moto S3, Airflow standalone:
scheduler, dag-processor, API server, triggerer), reports healthy and receives events. On
that real scheduler: the seeded hours are loaded by `airflow backfill create` (what
`make run` does), reprocessed by a backfill created through the REST API
(`/api/v2/backfills`, reprocess_behavior=completed) while the monthly snapshot and the
workflow refresh run at the same time, and the warehouse is checked against the raw events
after each step. At the end `make stop` must leave no process behind.

The module runs once per warehouse mode in DATALAKE_E2E_WAREHOUSES (comma-separated,
default `postgres`): `redshift` is `make run WAREHOUSE=redshift`, the same platform with the
Redshift double in front of the PostgreSQL. It is opt-in because a second platform costs
another ~5 minutes of the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
DATALAKE = str(Path(sys.executable).parent / "datalake")
SEED_HOURS = 3


def _env(state_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "S3_ENDPOINT_URL",
            "LANDING_BUCKET",
            "LAKE_BUCKET",
            "WAREHOUSE_URI",
            "AIRFLOW_URL",
            "AIRFLOW_HOME",
        )
        and not k.startswith("AIRFLOW__")
    }
    env["DATALAKE_STATE_DIR"] = str(state_dir)
    return env


def _datalake(env, *args, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [DATALAKE, *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def _query(env, sql):
    out = _datalake(env, "query", sql, "--format", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


class Api:
    """The Airflow REST API, logged in as the admin that `make run` printed."""

    def __init__(self, url: str, password: str):
        self.url = url
        token = self._call(
            "POST", "/auth/token", {"username": "admin", "password": password}, auth=False
        )
        self.token = token["access_token"]

    def _call(self, method, path, body=None, auth=True, attempts=12):
        import urllib.error

        for attempt in range(attempts):
            request = urllib.request.Request(
                self.url + path,
                method=method,
                data=json.dumps(body).encode() if body is not None else None,
                headers={"Content-Type": "application/json"},
            )
            if auth:
                request.add_header("Authorization", f"Bearer {self.token}")
            try:
                with urllib.request.urlopen(request, timeout=30) as resp:
                    return json.loads(resp.read() or b"{}")
            except urllib.error.HTTPError as exc:
                detail = exc.read().decode(errors="replace")[:500]
                # standalone's SQLite answers 503 while the scheduler holds its write lock.
                if exc.code != 503 or attempt == attempts - 1:
                    raise AssertionError(f"{method} {path}: HTTP {exc.code} {detail}") from None
                time.sleep(5)

    def get(self, path):
        return self._call("GET", path)

    def post(self, path, body):
        return self._call("POST", path, body)

    def runs(self, dag_id):
        return self.get(f"/api/v2/dags/{dag_id}/dagRuns?limit=100")["dag_runs"]


E2E_WAREHOUSES = [
    m.strip() for m in os.environ.get("DATALAKE_E2E_WAREHOUSES", "postgres").split(",") if m.strip()
]


@pytest.fixture(scope="module", params=E2E_WAREHOUSES)
def local_platform(request, tmp_path_factory):
    state = tmp_path_factory.mktemp("platform") / "state"
    env = _env(state)
    if request.param == "redshift":
        env["DATALAKE_LOCAL_WAREHOUSE"] = "redshift"  # what `make run WAREHOUSE=redshift` sets
    up = subprocess.run(
        [DATALAKE, "platform", "up", "--seed-hours", str(SEED_HOURS), "--interval", "20"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    info = {"env": env, "up": up, "state": state, "warehouse": request.param}
    try:
        yield info
    finally:
        info["started"] = json.loads((state / "platform.json").read_text()).get("pids", {})
        info["down"] = _datalake(env, "platform", "down", timeout=180)
        _assert_everything_stopped(info)


def _assert_everything_stopped(info):
    from datalake_dev.local.processes import is_alive

    assert info["down"].returncode == 0, info["down"].stderr
    started = info["started"]
    expected = {"postgres", "s3", "producer", "airflow", "tenant_watchdog"}
    assert set(started) == expected | (
        {"redshift_double"} if info["warehouse"] == "redshift" else set()
    )
    time.sleep(1)
    assert [name for name, pid in started.items() if is_alive(pid)] == []
    groups = ",".join(str(p) for n, p in started.items() if n != "postgres")
    leftovers = subprocess.run(
        ["pgrep", "-g", groups], capture_output=True, text=True
    ).stdout.split()
    assert leftovers == [], f"processes of the platform still running: {leftovers}"
    assert json.loads((info["state"] / "platform.json").read_text())["pids"] == {}


def _status(env) -> dict:
    return dict(line.split("=", 1) for line in _datalake(env, "status").stdout.splitlines())


def _parse(ts: str | None) -> datetime | None:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")) if ts else None


def _wait_hours(
    api: Api,
    dag_id: str,
    hours: list[datetime],
    finished_after: datetime | None = None,
    timeout: float = 480,
) -> dict:
    """Wait until the run of every hour (whatever created it: schedule or backfill) has
    finished, after `finished_after` when given (a reprocessed run is cleared and re-run)."""
    deadline = time.monotonic() + timeout
    while True:
        runs = {
            _parse(r["data_interval_start"]): r
            for r in api.runs(dag_id)
            if r.get("data_interval_start")
        }
        ready = all(
            h in runs
            and runs[h]["state"] in ("success", "failed")
            and (
                finished_after is None
                or (_parse(runs[h].get("end_date")) or finished_after) > finished_after
            )
            for h in hours
        )
        if ready:
            return {h: runs[h] for h in hours}
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{dag_id}: runs not finished in {timeout}s: "
                f"{[(r['dag_run_id'], r['state'], r.get('end_date')) for r in runs.values()]}"
            )
        time.sleep(5)


def _wait_backfills_completed(api: Api, dag_id: str, timeout: float = 180) -> None:
    """The scheduler marks a backfill completed a little after its last run finished; only
    one backfill per DAG may be running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        backfills = api.get(f"/api/v2/backfills?dag_id={dag_id}")["backfills"]
        if all(b.get("completed_at") for b in backfills):
            return
        time.sleep(3)
    raise AssertionError(f"{dag_id}: backfills not completed: {backfills}")


def _truth(env, hours):
    """Independent expectation: the raw landing objects of the backfilled hours, parsed here."""
    import boto3
    from entity_truth import expected_rows

    status = _status(env)
    s3 = boto3.client(
        "s3",
        endpoint_url=status["S3_ENDPOINT_URL"],
        region_name="eu-central-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )

    class Obj:
        def __init__(self, key, body, hour):
            self.key, self.body, self.arrival_hour, self.stream = (
                key,
                body,
                hour,
                "entity_operations",
            )

    objects = []
    for hour in hours:
        prefix = f"entity_operations/{hour:%Y/%m/%d/%H}/"
        for item in s3.list_objects_v2(Bucket=status["LANDING_BUCKET"], Prefix=prefix).get(
            "Contents", []
        ):
            body = s3.get_object(Bucket=status["LANDING_BUCKET"], Key=item["Key"])["Body"].read()
            objects.append(Obj(item["Key"], body, hour))
    return expected_rows(objects)


def _event_owners(env) -> dict[str, str]:
    """Each loaded event id and the run key of the hour that loaded it."""
    return {
        r["id"]: r["run_key"]
        for r in _query(env, "SELECT id, run_key FROM datalake_ops.entity_event_owner")
    }


def _wait_out_the_hour_boundary(
    api: Api, last: datetime, margin: timedelta = timedelta(minutes=6)
) -> None:
    """When the next hour starts within `margin`, wait for it and for the scheduled runs of
    every hour after `last` it brings (both hourly DAGs): the reprocessing takes ~4 min."""
    now = datetime.now(timezone.utc)
    boundary = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    if boundary - now < margin:
        time.sleep((boundary - now).total_seconds() + 5)
    newer = []
    hour = last + timedelta(hours=1)
    while hour + timedelta(hours=1) <= datetime.now(timezone.utc):
        newer.append(hour)
        hour += timedelta(hours=1)
    for dag_id in ("entity_operations_hourly", "workflow_executions_hourly"):
        if newer:
            _wait_hours(api, dag_id, newer)


def test_platform_is_healthy_and_fed(local_platform):
    up = local_platform["up"]
    assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
    assert "Airflow UI: http://127.0.0.1:" in up.stdout and "login: admin / " in up.stdout
    status = _status(local_platform["env"])
    with urllib.request.urlopen(
        status["AIRFLOW_URL"] + "/api/v2/monitor/health", timeout=10
    ) as resp:
        health = json.loads(resp.read())
    assert {k: v["status"] for k, v in health.items()} == {
        "metadatabase": "healthy",
        "scheduler": "healthy",
        "triggerer": "healthy",
        "dag_processor": "healthy",
    }
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=status["S3_ENDPOINT_URL"],
        region_name="eu-central-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    keys = [
        o["Key"] for o in s3.list_objects_v2(Bucket=status["LANDING_BUCKET"]).get("Contents", [])
    ]
    assert any(k.startswith("entity_operations/") for k in keys)
    assert any(k.startswith("workflow_executions/") for k in keys)


def test_the_data_lake_page_on_the_real_api_server(local_platform):
    """The plugin as `make run` serves it: Airflow's API server mounts it at /datalake, lists it
    in the navigation, refuses it without a login, and, logged in, shows the seeded hours
    loaded (in headless Chromium when it is installed, which also takes the README's
    screenshot docs/img/datalake-page.png)."""
    import httpx

    env = local_platform["env"]
    assert local_platform["up"].returncode == 0
    status = _status(env)
    url = status["AIRFLOW_URL"]
    password = local_platform["up"].stdout.split("login: admin / ")[1].split()[0]
    api = Api(url, password)
    last = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) - timedelta(
        hours=1
    )
    hours = [last - timedelta(hours=i) for i in range(SEED_HOURS - 1, -1, -1)]
    _wait_hours(api, "entity_operations_hourly", hours)

    views = [v for p in api.get("/api/v2/plugins")["plugins"] for v in p["external_views"]]
    assert {"name": "Data lake", "url_route": "datalake", "destination": "nav"}.items() <= next(
        v for v in views if v["url_route"] == "datalake"
    ).items()
    assert httpx.get(url + "/datalake/", timeout=60).status_code == 401
    assert (
        httpx.get(
            url + "/datalake/", headers={"Authorization": "Bearer x.y.z"}, timeout=60
        ).status_code
        == 403
    )
    page = httpx.get(
        url + "/datalake/", headers={"Authorization": f"Bearer {api.token}"}, timeout=60
    )
    assert page.status_code == 200, page.text[:2000]
    for hour in hours:
        assert (
            f'data-stream="entity_operations" data-run-key="{hour:%Y%m%d%H}" data-state="loaded"'
            in page.text
        )

    chromium = os.environ.get("DATALAKE_CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).exists():
        pytest.skip(f"no browser at {chromium}: the page was checked over HTTP only")
    from playwright.sync_api import sync_playwright
    from test_datalake_page import CHROMIUM_ARGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            host = url.split("//")[1].split(":")[0]
            context.add_cookies(
                [{"name": "_token", "value": api.token, "domain": host, "path": "/"}]
            )
            tab = context.new_page()
            assert tab.goto(url + "/datalake/", wait_until="load").status == 200
            assert (
                tab.locator('section.stream[data-stream="entity_operations"] .cell').count() == 48
            )
            tab.locator(
                f'.cell[data-stream="entity_operations"][data-run-key="{hours[-1]:%Y%m%d%H}"]'
            ).click()
            tab.wait_for_selector("#detail table.manifest")
            # The README's screenshot: the page on the platform `make run` starts.
            tab.screenshot(path=str(ROOT / "docs" / "img" / "datalake-page.png"), full_page=True)
        finally:
            browser.close()


def test_backfills_on_the_scheduler_load_exactly_the_events_and_reprocessing_doubles_nothing(
    local_platform,
):
    env = local_platform["env"]
    assert local_platform["up"].returncode == 0
    status = _status(env)
    password = local_platform["up"].stdout.split("login: admin / ")[1].split()[0]
    api = Api(status["AIRFLOW_URL"], password)
    last = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) - timedelta(
        hours=1
    )
    hours = [last - timedelta(hours=i) for i in range(SEED_HOURS - 1, -1, -1)]

    # 1. The CLI backfills that `make run` created.
    for dag_id in ("entity_operations_hourly", "workflow_executions_hourly"):
        runs = _wait_hours(api, dag_id, hours)
        assert all(r["state"] == "success" for r in runs.values()), runs
        # The scheduler may have run the latest hour itself before the backfill was created.
        assert sum(r["run_type"] == "backfill" for r in runs.values()) >= SEED_HOURS - 1
    truth = _truth(env, hours)
    owners = _event_owners(env)
    keys = {h.strftime("%Y%m%d%H") for h in hours}
    loaded = {i for i, key in owners.items() if key in keys}
    assert loaded == set(truth) and truth
    # Anything else is a later hour the scheduler ran on its own (the test crossed an hour).
    assert all(key > max(keys) for key in owners.values() if key not in keys), set(owners.values())

    # The comparison below needs the tables to change only by the reprocessing: let a new
    # hour's scheduled runs happen (and finish) before it, not during it.
    _wait_out_the_hour_boundary(api, last)

    # 2. Reprocess through the REST API, while the monthly snapshot and the workflow refresh run.
    before = {
        t: _query(env, f"SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS d FROM {t}")[0]
        for t in ("entity_operations", "current_entities", "WorkflowExecution", "WorkflowTasks")
    }
    # Usually 0; in a month's first hours the scheduled snapshot may already have found the
    # seeded (previous month's) hours loaded and written its rows before this point.
    snapshot_rows_before = _query(
        env,
        "SELECT COUNT(*) AS n FROM entity_operations WHERE \"detail-type\" = 'SnapshotOperation'",
    )[0]["n"]
    started = datetime.now(timezone.utc)
    for dag_id in ("entity_operations_hourly", "workflow_executions_hourly"):
        _wait_backfills_completed(api, dag_id)
    created = api.post(
        "/api/v2/backfills",
        {
            "dag_id": "entity_operations_hourly",
            "from_date": hours[0].isoformat(),
            "to_date": hours[-1].isoformat(),
            "reprocess_behavior": "completed",
            "max_active_runs": 3,
        },
    )
    assert created["dag_id"] == "entity_operations_hourly"
    from datalake_dev.local.airflow_runner import backfill_hours

    airflow_env = json.loads((local_platform["state"] / "platform.json").read_text())[
        "airflow_cli_env"
    ]
    backfill_hours(
        {**env, **airflow_env},
        "workflow_executions_hourly",
        hours[0],
        hours[-1],
        reprocess="completed",
    )
    # The scheduled monthly snapshot (last month's interval) runs again at the same time: it
    # takes the same pool and lock as the hourly loads, so it runs between them, never inside one.
    # (The month before the current one: in a month's first hours the seeded hours may still
    # lie in the month before, but the scheduler's latest snapshot run follows the clock.)
    this_month = datetime.now(timezone.utc).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )
    month = (this_month - timedelta(days=1)).replace(day=1)
    _wait_hours(api, "entity_operations_monthly_snapshot", [month])
    (snapshot_run,) = [
        r
        for r in api.runs("entity_operations_monthly_snapshot")
        if _parse(r["data_interval_start"]) == month
    ]
    api.post(
        "/api/v2/dags/entity_operations_monthly_snapshot/clearTaskInstances",
        {
            "dag_run_id": snapshot_run["dag_run_id"],
            "dry_run": False,
            "only_failed": False,
            "reset_dag_runs": True,
        },
    )

    for dag_id in ("entity_operations_hourly", "workflow_executions_hourly"):
        runs = _wait_hours(api, dag_id, hours, finished_after=started)
        assert all(r["state"] == "success" for r in runs.values()), runs
    (snapshot,) = _wait_hours(
        api, "entity_operations_monthly_snapshot", [month], finished_after=started
    ).values()
    assert snapshot["state"] == "success", snapshot

    after = {
        t: _query(env, f"SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS d FROM {t}")[0] for t in before
    }
    snapshot_rows = _query(
        env,
        "SELECT COUNT(*) AS n FROM entity_operations WHERE \"detail-type\" = 'SnapshotOperation'",
    )[0]["n"]
    # The reprocessing adds no event row; the re-run snapshot replaces its own rows.
    assert (
        after["entity_operations"]["n"]
        == before["entity_operations"]["n"] - snapshot_rows_before + snapshot_rows
    )
    assert after["entity_operations"]["n"] == after["entity_operations"]["d"], (
        "an event id loaded twice"
    )
    for table in ("current_entities", "WorkflowExecution", "WorkflowTasks"):
        assert after[table] == before[table], table
    owners = _event_owners(env)
    loaded = {
        r["id"]
        for r in _query(
            env, "SELECT id FROM entity_operations WHERE \"detail-type\" = 'EntityOperation'"
        )
    }
    assert {i for i in loaded if owners.get(i) in keys} == set(truth)
    # Anything else is a later hour the scheduler ran on its own, loaded before the
    # reprocessing (_wait_out_the_hour_boundary): as in step 1.
    assert all(owners.get(i, "") > max(keys) for i in loaded if owners.get(i) not in keys)
    for example in ("docs_example_1.sql", "docs_example_2.sql"):
        out = _datalake(env, "query", "--file", str(ROOT / "include/sql/examples" / example))
        assert out.returncode == 0, out.stderr


def test_typed_tables_are_filled_by_the_asset_triggered_dag_after_the_loads(local_platform):
    """Every hourly load updates the entity_operations asset; the scheduler then runs
    entity_typed_tables, which ends with one typed row per current entity, per organisation."""
    import psycopg

    from datalake.warehouse import psycopg_uri

    env = local_platform["env"]
    status = _status(env)
    password = local_platform["up"].stdout.split("login: admin / ")[1].split()[0]
    api = Api(status["AIRFLOW_URL"], password)
    deadline = time.monotonic() + 300
    with psycopg.connect(psycopg_uri(status["WAREHOUSE_URI"]), autocommit=True) as conn:
        while True:
            runs = api.runs("entity_typed_tables")
            assert not [r for r in runs if r["state"] == "failed"], runs
            expected = dict(
                ((a, s), n)
                for a, s, n in conn.execute(
                    "SELECT account, schema, count(*) FROM epilot_datalake.current_entities "
                    "GROUP BY 1, 2"
                )
            )
            typed = {}
            for org, schema in conn.execute(
                "SELECT org_id, schema_name FROM datalake_ops.typed_schemas "
                "WHERE built_at IS NOT NULL"
            ):
                for slug, table in conn.execute(
                    f"SELECT DISTINCT entity_schema, table_name FROM {schema}._attributes"
                ):
                    n = conn.execute(f"SELECT count(*) FROM {schema}.{table}").fetchone()[0]
                    if n:
                        typed[(org, slug)] = n
            if expected and typed == expected and any(r["state"] == "success" for r in runs):
                break
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"typed tables {typed} != current entities {expected}; runs {runs}"
                )
            time.sleep(5)
        (org, _slug), _ = max(expected.items(), key=lambda kv: kv[1])
        (schema_name,) = conn.execute(
            "SELECT schema_name FROM datalake_ops.typed_schemas WHERE org_id = %s", (org,)
        ).fetchone()
        # The producer's opportunities: journey source as JSON text, relations to contacts.
        links = conn.execute(
            f"SELECT count(*) FROM {schema_name}._relations WHERE attribute = 'customer'"
        )
        assert links.fetchone()[0] > 0
