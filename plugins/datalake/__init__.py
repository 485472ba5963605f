"""Shared code of the entity & workflow data lake: configuration, S3 and warehouse access,
the Redshift compatibility layer, the sample producer and the pipeline steps.

Kept importable without Airflow's heavy parts so DAG files parse fast; Great Expectations is
only imported inside the validation step.
"""
