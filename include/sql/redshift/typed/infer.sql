-- Redshift twin of include/sql/typed/infer.sql: over the values listed by stage.sql.
SELECT entity_schema, attribute, kind, COUNT(*), MIN(event_time), MAX(event_time)
FROM typed_values
{%- if slugs %}
WHERE entity_schema IN ({{ slugs }})
{%- endif %}
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
