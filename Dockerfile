# Astro Runtime whose Airflow is the pinned one: 3.3-8 ships Airflow 3.3.2 (the table and its
# sources are in tests/unit/test_requirements.py, which fails when this tag and the pin in
# requirements-dev.txt disagree), in its Python 3.12 flavour: the Python the virtualenv and
# the tests use (the runtime's default is 3.14). `astro dev start` / `astro deploy` build this.
FROM astrocrpublic.azurecr.io/runtime:3.3-8-python-3.12

# The base image's ONBUILD steps have already run here: they installed requirements.txt (the
# task-time packages and the providers the tasks use, pinned; never Airflow core or the test
# tools, which live in requirements-dev.txt) and copied the project (dags/, plugins/,
# include/, pyproject.toml; not dev/ or tests/, see .dockerignore) into /usr/local/airflow,
# the working directory.
# A runtime whose Airflow is not the pinned version fails the build here, not at run time.
ARG AIRFLOW_VERSION=3.3.2
RUN python -c "import sys; from importlib.metadata import version; v = version('apache-airflow-core'); \
sys.exit(0 if v.split('+')[0] == '${AIRFLOW_VERSION}' else 'runtime ships Airflow ' + v + ', pinned ${AIRFLOW_VERSION}')"

# The `datalake` command (init, smoke, query, credentials): this project's distribution
# (pyproject.toml: the package in plugins/, no dependencies of its own), installed editable so
# that the command and the DAGs import the one copy in plugins/. Then the command must start
# without dev/: `datalake smoke --help` fails the build otherwise.
RUN pip install --no-cache-dir --no-deps -e . && datalake smoke --help > /dev/null

# plugins/ holds the importable `datalake` package used by the DAGs.
ENV PYTHONPATH="/usr/local/airflow/plugins:${PYTHONPATH}"
