#!/bin/sh
# The warehouse stand-in of `astro dev start` (docker-compose.override.yml), bootstrapped as
# `make run` bootstraps its PostgreSQL (dev/datalake_dev/local/postgres.py): the pipeline's
# admin role and database, Redshift's session defaults, and the superuser-only hardening
# against hostile tenants. Run once by the postgres image, as its superuser, on first start.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<'SQL'
CREATE ROLE datalake_admin LOGIN CREATEROLE PASSWORD 'datalake-local-only';
CREATE DATABASE epilot_datalake OWNER datalake_admin;
SQL
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname epilot_datalake <<'SQL'
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER DATABASE epilot_datalake SET search_path = epilot_datalake, redshift_compat, public;
ALTER DATABASE epilot_datalake SET timezone = 'UTC';
SQL
sed 's/{{ admin }}/"datalake_admin"/g' /datalake/superuser_hardening.sql \
  | psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname epilot_datalake
