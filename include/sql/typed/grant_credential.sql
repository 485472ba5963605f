-- One credential of the organisation reads its typed tables, and finds them first: its
-- default search path starts with the organisation's schema. Idempotent.
GRANT USAGE ON SCHEMA {{ schema }} TO {{ username }};
GRANT SELECT ON ALL TABLES IN SCHEMA {{ schema }} TO {{ username }};
ALTER ROLE {{ username }} SET search_path = {{ schema }}, epilot_datalake, redshift_compat;
