"""The Data lake page as a FastAPI app (mounted by the Airflow API server at /datalake, see
plugins/datalake_ui_plugin.py). Every route requires a valid Airflow login: the JWT of the
Airflow UI session (``_token`` cookie) or an ``Authorization: Bearer`` token, checked by
Airflow's own ``get_user`` dependency; without one the answer is 401/403. The user must also be
allowed (by Airflow's auth manager) to read the runs of both hourly DAGs, else 403.

Server-rendered HTML (Jinja2) with a few lines of JavaScript for the hour details; charts are
SVG rendered on the server. One request per page load, one per hour clicked.
"""

# No `from __future__ import annotations`: FastAPI must see the route parameters' real
# types (Request is imported inside the functions, so string annotations would not resolve).
import asyncio
import html
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from datalake.ui import overview

TEMPLATES = Path(__file__).with_name("templates")
# Sent with every response of the app, the GX Data Docs included: no inline script and no
# script from elsewhere (what a producer's value smuggled into a page could not run even if an
# escape were missed); styles may be inline (the page's own <style>, vl-convert's SVG) or come
# from the CDNs GX's pages link; the page may be framed by the Airflow UI only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline' https:; "
    "img-src 'self' data:; font-src 'self' data: https:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)
LOG_TASK = "load_warehouse"  # the hourly DAGs' task whose log tells what was loaded


def create_app(now: Callable[[], datetime] | None = None, runs_source: Callable | None = None):
    from functools import partial

    from fastapi import Depends, FastAPI, Request
    from fastapi.responses import HTMLResponse, Response
    from fastapi.templating import Jinja2Templates

    now = now or (lambda: datetime.now(timezone.utc))
    runs = partial(_runs, runs_source)
    page_model = partial(_page_model, now, runs)
    hour_model = partial(_hour_model, runs)
    templates = Jinja2Templates(directory=str(TEMPLATES))
    app = FastAPI(
        title="Data lake",
        dependencies=[Depends(_airflow_user_dependency())],
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    @app.middleware("http")
    async def content_security_policy(request: Request, call_next):
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @app.get("/", response_class=HTMLResponse)
    async def page(request: Request):
        from datalake.errors import ConfigurationError

        try:
            model = await asyncio.to_thread(page_model)
        except ConfigurationError as exc:  # the warehouse or lake is unreachable: say which
            return HTMLResponse(
                f"<h1>Data lake</h1><p>Cannot read the platform: {html.escape(str(exc))}</p>",
                status_code=503,
            )
        return templates.TemplateResponse(
            request,
            "page.html",
            {**model, "root": _root(request), "airflow": _airflow_root(request)},
        )

    @app.get("/hours/{stream}/{run_key}", response_class=HTMLResponse)
    async def hour(request: Request, stream: str, run_key: str):
        model = await asyncio.to_thread(hour_model, stream, run_key)
        return templates.TemplateResponse(
            request,
            "hour.html",
            {**model, "root": _root(request), "airflow": _airflow_root(request)},
        )

    @app.get("/docs/{path:path}")
    async def data_docs(path: str):
        """The GX Data Docs in the lake (s3://<lake>/data_docs/), behind the same login."""
        body, media_type = await asyncio.to_thread(_docs_object, path)
        return Response(body, media_type=media_type)

    @app.get("/static/page.js")
    async def page_script() -> Response:
        # Cached by the browser for an hour: a page load stays one request to the server.
        return Response(
            (TEMPLATES / "page.js").read_bytes(),
            media_type="text/javascript",
            headers={"Cache-Control": "private, max-age=3600"},
        )

    @app.get("/health")
    async def health() -> Response:
        return Response("ok", media_type="text/plain")

    return app


def _airflow_user_dependency():
    """The dependency every route has: a valid Airflow login allowed to read both hourly DAGs'
    runs."""
    from fastapi import Depends, HTTPException, Request
    from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

    bearer = HTTPBearer(auto_error=False)

    async def airflow_user(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
    ):
        """Airflow's own check (bearer token, else the UI's _token cookie), imported on the first
        request: the plugin module is loaded by every Airflow process, the API server only
        needs this (airflow.api_fastapi costs ~0.6 s to import)."""
        from airflow.api_fastapi.app import get_auth_manager
        from airflow.api_fastapi.auth.managers.models.resource_details import (
            DagAccessEntity,
            DagDetails,
        )
        from airflow.api_fastapi.core_api.security import get_user

        user = await get_user(request, None, credentials)
        # What the page shows is the hourly DAGs' runs: the user must be allowed to read them.
        manager = get_auth_manager()
        for dag_id in overview.STREAMS.values():
            if not manager.is_authorized_dag(
                method="GET",
                user=user,
                access_entity=DagAccessEntity.RUN,
                details=DagDetails(id=dag_id),
            ):
                raise HTTPException(
                    status_code=403, detail=f"not allowed to read the runs of {dag_id}"
                )
        return user

    return airflow_user


def _runs(runs_source: Callable | None, since: datetime) -> dict:
    if runs_source is not None:
        return runs_source(list(overview.STREAMS.values()), since)
    from datalake.ui.airflow_runs import runs_by_hour

    return runs_by_hour(list(overview.STREAMS.values()), since)


def _page_model(now: Callable[[], datetime], runs: Callable[[datetime], dict]) -> dict:
    from datalake.config import load_settings
    from datalake.ui.charts import strip_chart_svg
    from datalake.warehouse import connect

    at = now()
    since = overview.strip_hours(at)[0]
    with connect(load_settings()) as conn:
        manifests = overview.hourly_manifests(conn, since)
        months = overview.snapshot_months(conn)
        counts = overview.table_row_counts(conn)
        typed = overview.typed_catalog(conn)
        first_loaded = {
            dag_id: overview.first_loaded_hour(conn, dag_id) for dag_id in overview.STREAMS.values()
        }
        conn.rollback()
    dag_runs = runs(since)
    strips = []
    for stream, dag_id in overview.STREAMS.items():
        strip = overview.build_strip(
            stream,
            manifests.get(dag_id, {}),
            dag_runs.get(dag_id, {}),
            at,
            first_loaded=first_loaded[dag_id],
        )
        strips.append(
            {
                "strip": strip,
                "freshness": _age(strip.freshness(at)),
                "chart": strip_chart_svg(strip),
            }
        )
    return {
        "now": at,
        "strips": strips,
        "months": months,
        "counts": counts,
        "typed": typed,
        "states": overview.STATES,
    }


def _hour_model(runs: Callable[[datetime], dict], stream: str, run_key: str) -> dict:
    from fastapi import HTTPException

    from datalake.config import load_settings
    from datalake.s3 import s3_client
    from datalake.warehouse import connect

    if stream not in overview.STREAMS or not (run_key.isdigit() and len(run_key) == 10):
        raise HTTPException(status_code=404, detail="no such stream or hour")
    settings = load_settings()
    dag_id = overview.STREAMS[stream]
    with connect(settings) as conn:
        manifest = overview.hour_manifest(conn, dag_id, run_key)
        conn.rollback()
    hour = datetime.strptime(run_key, "%Y%m%d%H").replace(tzinfo=timezone.utc)
    run = runs(hour).get(dag_id, {}).get(run_key)
    model = {
        "stream": stream,
        "dag_id": dag_id,
        "run_key": run_key,
        "hour": hour,
        "manifest": manifest,
        "run": run,
        "log_task": LOG_TASK,
        "expectations": [],
        "quarantine": None,
        "data_docs": [],
    }
    if manifest is not None:
        client = s3_client(settings)
        model["expectations"] = overview.expectation_rows(manifest)
        model["quarantine"] = overview.quarantine_summary(client, settings.lake_bucket, manifest)
        model["data_docs"] = overview.data_docs_pages(client, settings.lake_bucket, stream, run_key)
    return model


def _docs_object(path: str) -> tuple[bytes, str]:
    import mimetypes

    from fastapi import HTTPException

    from datalake.config import load_settings
    from datalake.s3 import s3_client
    from datalake.validation.data_docs import DOCS_ROOT

    if not path or any(part in ("", ".", "..") for part in path.split("/")):
        raise HTTPException(status_code=404, detail="no such page")
    settings = load_settings()
    try:
        body = (
            s3_client(settings)
            .get_object(Bucket=settings.lake_bucket, Key=f"{DOCS_ROOT}/{path}")["Body"]
            .read()
        )
    except Exception:
        raise HTTPException(
            status_code=404, detail="no such page (expired by the Data Docs retention?)"
        ) from None
    return body, mimetypes.guess_type(path)[0] or "application/octet-stream"


def _root(request) -> str:
    """This app's path prefix (the mount point, e.g. /datalake), for links and fetches."""
    return request.scope.get("root_path", "").rstrip("/")


def _airflow_root(request) -> str:
    """The Airflow UI's prefix: the mount point's parent ("" when mounted at /datalake)."""
    return _root(request).rpartition("/")[0]


def _age(delta: timedelta | None) -> str:
    if delta is None:
        return "no loaded hour in the window"
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
