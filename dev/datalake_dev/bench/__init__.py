"""`make bench`: the hourly pipeline against a floor, the snapshot, the docs' queries, the
workflow refresh and the DAG files' parse time, on a private local platform.

Run ``python -m datalake_dev.bench --help``. Results: ``bench/results.json`` and
``docs/benchmarks.md``.
"""
