# Astro Runtime for Airflow 3.3; the same pinned requirements as the local virtualenv.
# `astro dev start` / `astro deploy` copy dags/, plugins/ and include/ into /usr/local/airflow.
FROM astrocrpublic.azurecr.io/runtime:3.3-1

COPY requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir -r /tmp/requirements.txt

# plugins/ holds the importable `datalake` package used by the DAGs.
ENV PYTHONPATH="/usr/local/airflow/plugins:${PYTHONPATH}"
