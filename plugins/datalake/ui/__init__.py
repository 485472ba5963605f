"""The "Data lake" page of the Airflow UI (an Airflow 3 plugin: see plugins/datalake_ui_plugin.py).

Read-only: the warehouse's datalake_ops tables, the lake's manifests and quarantine files, and
Airflow's own DAG runs. FastAPI, Jinja2, altair and vl-convert are imported by app.py only.
"""
