-- Redshift twin of include/sql/typed/grant_credential.sql (search_path is a user setting).
GRANT USAGE ON SCHEMA {{ schema }} TO {{ username }};
GRANT SELECT ON ALL TABLES IN SCHEMA {{ schema }} TO {{ username }};
ALTER USER {{ username }} SET search_path TO {{ schema }}, epilot_datalake;
