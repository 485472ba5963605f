"""Airflow 3 plugin: the "Data lake" page (plugins/datalake/ui) mounted on the API server at
/datalake and listed in the UI's navigation. The FastAPI app is built here because Airflow
needs the object; its heavy imports (altair, vl-convert, GX-free) happen on first request."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from datalake.ui.app import create_app

URL_PREFIX = "/datalake"


class DatalakeUiPlugin(AirflowPlugin):
    name = "datalake_ui"
    fastapi_apps = [{"name": "datalake", "app": create_app(), "url_prefix": URL_PREFIX}]
    # Shown in the navigation, the page embedded in the Airflow UI at /plugin/datalake.
    external_views = [
        {"name": "Data lake", "href": "datalake/", "destination": "nav", "url_route": "datalake"},
    ]
