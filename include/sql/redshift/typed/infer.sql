-- Redshift twin of include/sql/typed/infer.sql: the payload's attributes by UNPIVOT of the
-- SUPER object. Timestamps are recognised by shape and field ranges only (Redshift has no
-- non-failing cast test).
SELECT s.entity_schema, attr,
       CASE WHEN IS_BOOLEAN(v) THEN 'boolean'
            WHEN IS_BIGINT(v) OR IS_INTEGER(v) OR IS_SMALLINT(v) THEN 'bigint'
            WHEN IS_DECIMAL(v) OR IS_FLOAT(v) THEN 'numeric'
            WHEN IS_VARCHAR(v) THEN
                CASE WHEN v::VARCHAR ~ '{{ timestamp_pattern }}' THEN 'timestamptz' ELSE 'text' END
            WHEN IS_OBJECT(v) THEN CASE WHEN IS_ARRAY(v."$relation") THEN 'relation' ELSE 'json' END
            ELSE 'json'
       END AS kind,
       COUNT(*), MIN(s.event_time), MAX(s.event_time)
FROM typed_stage s, UNPIVOT s.d.payload AS v AT attr
WHERE JSON_TYPEOF(v) <> 'null'
{%- if slugs %}
  AND s.entity_schema IN ({{ slugs }})
{%- endif %}
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
