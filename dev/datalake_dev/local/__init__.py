"""The local platform: an S3 server, an embedded PostgreSQL and Airflow, on one machine,
from pip-installed packages only (no Docker, no system services)."""
