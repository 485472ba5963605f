"""Development and benchmark tools: the local platform behind `make run`, the sample event
producer and the `make bench` harness.

They live outside `plugins/` so that the Astro image (which ships `plugins/` as Airflow
plugins) carries only what the DAG tasks run; `make install` puts them into the virtualenv.
"""
