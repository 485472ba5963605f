"""The "Data lake" Airflow UI page (plugins/datalake_ui_plugin.py, datalake.ui) served the way
the Airflow API server serves it: the plugin's FastAPI app mounted by Airflow's own
``init_plugins`` behind Airflow's auth manager, by uvicorn on a free port, against the test
platform after a real hourly run (dag.test) of landing data with broken records.

Checked over HTTP (no login -> 401, forged token -> 403, Airflow JWT -> 200) and in a real
headless Chromium (Debian's chromium driven by Playwright): one strip cell per hour (48 per
stream), clicking the loaded hour shows its quarantine reasons. The browser test takes a
screenshot (docs/img/datalake-page-test-platform.png) and prints what a page load costs.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from dagrun import run_hourly

from datalake.s3 import s3_client
from datalake.warehouse import connect
from datalake_dev.producer import DefectRates, ProducerConfig, simulate, upload

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
# The README's screenshot (docs/img/datalake-page.png) is the e2e test's, on `make run`'s platform.
SCREENSHOT = ROOT / "docs" / "img" / "datalake-page-test-platform.png"
CHROMIUM = os.environ.get("DATALAKE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def page_server(platform, airflow_db):
    """Airflow's API-server wiring for plugins (auth manager + init_plugins) under uvicorn."""
    import uvicorn
    from airflow.api_fastapi.app import init_auth_manager, init_plugins
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from fastapi import FastAPI

    from datalake_dev.local.ports import free_port

    app = FastAPI()
    auth_manager = init_auth_manager(app)
    init_plugins(app)
    assert any(getattr(r, "path", None) == "/datalake" for r in app.routes), (
        "the plugin's app is not mounted"
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    token = auth_manager.generate_jwt(SimpleAuthManagerUser(username="admin", role="ADMIN"))
    viewer = auth_manager.generate_jwt(SimpleAuthManagerUser(username="viewer", role="VIEWER"))
    no_role = auth_manager.generate_jwt(SimpleAuthManagerUser(username="nobody", role=None))
    yield {
        "url": f"http://127.0.0.1:{port}",
        "port": port,
        "token": token,
        "viewer": viewer,
        "no_role": no_role,
    }
    server.should_exit = True
    thread.join(10)


def test_the_plugin_is_listed_in_the_ui_navigation():
    from airflow import plugins_manager

    views, _ = plugins_manager._get_ui_plugins()
    view = next(v for v in views if v.get("url_route") == "datalake")
    assert view["name"] == "Data lake" and view["destination"] == "nav"


def test_the_page_needs_an_airflow_login(page_server):
    url = page_server["url"] + "/datalake/"
    assert httpx.get(url).status_code == 401
    assert (
        httpx.get(page_server["url"] + "/datalake/hours/entity_operations/2026113010").status_code
        == 401
    )
    forged = page_server["token"][:-4] + (
        "AAAA" if not page_server["token"].endswith("AAAA") else "BBBB"
    )
    assert httpx.get(url, headers={"Authorization": f"Bearer {forged}"}).status_code in (401, 403)
    assert httpx.get(url, cookies={"_token": "not-a-jwt"}).status_code in (401, 403)
    assert (
        httpx.get(url, headers={"Authorization": f"Bearer {page_server['token']}"}).status_code
        == 200
    )
    assert httpx.get(url, cookies={"_token": page_server["token"]}).status_code == 200
    # Airflow's permissions count: a viewer reads DAG runs, a user without a role does not.
    assert (
        httpx.get(url, headers={"Authorization": f"Bearer {page_server['viewer']}"}).status_code
        == 200
    )
    assert (
        httpx.get(url, headers={"Authorization": f"Bearer {page_server['no_role']}"}).status_code
        == 403
    )
    assert (
        httpx.get(
            page_server["url"] + "/datalake/docs/static/x.css",
            headers={"Authorization": f"Bearer {page_server['no_role']}"},
        ).status_code
        == 403
    )


@pytest.fixture
def loaded_hour(clean_platform, airflow_db, monkeypatch):
    """One recent arrival hour through the real entity pipeline, with broken records."""
    hour = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) - timedelta(
        hours=3
    )
    defects = DefectRates(
        truncated=0.02, non_utf8=0.01, missing_field=0.02, unknown_operation=0.02, bad_time=0.01
    )
    objects = simulate(hour, 1, ProducerConfig(seed=20, entities_per_hour=200, defects=defects))
    upload(objects, s3_client(clean_platform), clean_platform.landing_bucket)
    monkeypatch.setenv("DATALAKE_QUARANTINE_THRESHOLD", "0.5")
    assert run_hourly("entity_operations_hourly", hour).state == "success"
    assert run_hourly("workflow_executions_hourly", hour).state == "success"
    with connect(clean_platform) as conn:
        (body,) = conn.execute(
            "SELECT manifest FROM datalake_ops.run_manifest WHERE run_key = %s "
            "AND pipeline = 'entity_operations_hourly'",
            (hour.strftime("%Y%m%d%H"),),
        ).fetchone()
    import json

    manifest = json.loads(body)
    assert manifest["quarantined"], "the hour has no quarantined record to show"
    return hour, manifest


def _browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"no browser: {CHROMIUM} is missing "
            "(scripts/ensure-chromium.sh installs Debian's chromium "
            "as root; set DATALAKE_CHROMIUM to another Chromium)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (requirements.txt pins it)")
    return sync_playwright


def test_the_page_in_a_real_browser(page_server, loaded_hour):
    sync_playwright = _browser()
    hour, manifest = loaded_hour
    run_key = hour.strftime("%Y%m%d%H")
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            anonymous = browser.new_page()
            response = anonymous.goto(page_server["url"] + "/datalake/")
            assert response.status == 401, "the page opened without a login"

            context = browser.new_context(viewport={"width": 1280, "height": 900})
            # What the Airflow UI's login leaves in the browser: the JWT in the _token cookie.
            context.add_cookies(
                [
                    {
                        "name": "_token",
                        "value": page_server["token"],
                        "domain": "127.0.0.1",
                        "path": "/",
                        "httpOnly": True,
                    }
                ]
            )
            page = context.new_page()
            page.on("request", lambda r: requests.append(r.url))
            script_url = page_server["url"] + "/datalake/static/page.js"
            # The page works under its Content-Security-Policy: nothing it needs is refused.
            refused: list[str] = []
            page.on(
                "console",
                lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
            )
            started = time.perf_counter()
            response = page.goto(page_server["url"] + "/datalake/", wait_until="load")
            load_seconds = time.perf_counter() - started
            assert response.status == 200
            page_requests = list(requests)

            for stream in ("entity_operations", "workflow_executions"):
                cells = page.locator(f'section.stream[data-stream="{stream}"] .cell')
                assert cells.count() == 48, (
                    f"{stream}: {cells.count()} cells, not one per hour of 48"
                )
            assert (
                page.locator('section.stream[data-stream="entity_operations"] svg').count() >= 1
            ), "no chart"
            cell = page.locator(f'.cell[data-stream="entity_operations"][data-run-key="{run_key}"]')
            assert cell.get_attribute("data-state") == "loaded"
            loaded = page.locator('.cell[data-stream="workflow_executions"][data-state="loaded"]')
            assert loaded.count() == 1 and loaded.get_attribute("data-run-key") == run_key

            started = time.perf_counter()
            cell.click()
            page.wait_for_selector("#detail table.quarantine")
            click_seconds = time.perf_counter() - started
            shown = page.locator("#detail .reason-text").all_inner_texts()
            assert sorted(shown) == sorted(manifest["quarantined"]), (
                shown,
                manifest["quarantined"],
            )
            counts = page.locator("#detail table.quarantine tr.reason td.num").all_inner_texts()
            assert sorted(int(c) for c in counts) == sorted(manifest["quarantined"].values())
            assert (
                page.locator("#detail table.expectations tr").count()
                == len(manifest["expectation_results"]) + 1
            )
            assert (
                page.locator('#detail a[href*="/dags/entity_operations_hourly/runs/"]').count() >= 1
            )

            # The hour's GX Data Docs, rendered into the lake by the run, through the page.
            docs = page.locator("#detail p.data-docs a")
            assert docs.count() >= 1, "no Data Docs link for the loaded hour"
            docs_page = page.request.get(page_server["url"] + docs.first.get_attribute("href"))
            assert docs_page.status == 200 and "entity_operations_rows" in docs_page.text()
            assert page.request.get(
                page_server["url"] + "/datalake/docs/static/styles/data_docs_default_styles.css"
            ).ok

            # The workflow hour has its Data Docs too (one page per table validated).
            loaded.click()
            page.wait_for_selector('#detail h2:has-text("workflow_executions")')
            assert page.locator("#detail p.data-docs a").count() >= 1

            cell.click()  # the entity hour again, for the screenshot
            page.wait_for_selector('#detail h2:has-text("entity_operations")')
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)

            requests.clear()  # a second load: the server's chart renderer is warm
            started = time.perf_counter()
            assert page.reload(wait_until="load").status == 200
            warm_seconds = time.perf_counter() - started
            # The page, and its script unless the browser cached it.
            assert requests[0].endswith("/datalake/") and requests[1:] in ([], [script_url]), (
                requests
            )
            assert refused == [], refused
        finally:
            browser.close()
    # What a page load costs the API server (printed for the README; -s shows it).
    print(
        f"\npage load: {len(page_requests)} request(s) "
        f"{[u.split(str(page_server['port']))[-1] for u in page_requests]}, "
        f"{load_seconds:.3f} s to 'load' (again: {warm_seconds:.3f} s); "
        "an hour's details: 1 request, "
        f"{click_seconds:.3f} s"
    )
    assert len(page_requests) == 2, page_requests  # the page and /datalake/static/page.js


def test_data_docs_retention_expires_old_hours_only(clean_platform):
    from datalake.validation.data_docs import expire

    client, bucket = s3_client(clean_platform), clean_platform.lake_bucket
    now = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)
    keys = {
        "old": [
            "data_docs/hours/entity_operations/2026103011.json",
            "data_docs/validations/entity_operations_rows/entity_operations-2026103011-batch-00000-000/"
            "20261030T110000.000000Z/batch-00000-000.html",
            "validation_results/entity_operations/2026103011/batch-00000.json.gz",
        ],
        "kept": [
            "data_docs/hours/entity_operations/2026103112.json",
            "data_docs/validations/entity_operations_rows/entity_operations-2026113010-batch-00000-000/"
            "20261130T100000.000000Z/batch-00000-000.html",
            "validation_results/entity_operations/2026113010/batch-00000.json.gz",
            "data_docs/static/styles/data_docs_default_styles.css",
            "manifests/entity_operations/2026103011.json",
        ],
    }
    for key in keys["old"] + keys["kept"]:
        client.put_object(Bucket=bucket, Key=key, Body=b"x")
    assert expire(client, bucket, now, days=30) == len(keys["old"])
    left = {o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])}
    assert left == set(keys["kept"])
