# Astro Runtime whose Airflow is the pinned one: 3.3-8 ships Airflow 3.3.2 (the table and its
# sources are in tests/unit/test_requirements.py, which fails when this tag and the pin in
# requirements-dev.txt disagree). `astro dev start` / `astro deploy` build this file.
FROM astrocrpublic.azurecr.io/runtime:3.3-8

# The base image's ONBUILD steps have already run here: they installed requirements.txt (the
# task-time packages the runtime does not ship; never Airflow core, the runtime's providers or
# the test tools, which live in requirements-dev.txt) under the runtime's pip constraints, and
# copied the project (dags/, plugins/, include/) into /usr/local/airflow.
# A runtime whose Airflow is not the pinned version fails the build here, not at run time.
ARG AIRFLOW_VERSION=3.3.2
RUN python -c "import sys; from importlib.metadata import version; v = version('apache-airflow-core'); \
sys.exit(0 if v.split('+')[0] == '${AIRFLOW_VERSION}' else 'runtime ships Airflow ' + v + ', pinned ${AIRFLOW_VERSION}')"

# plugins/ holds the importable `datalake` package used by the DAGs.
ENV PYTHONPATH="/usr/local/airflow/plugins:${PYTHONPATH}"
