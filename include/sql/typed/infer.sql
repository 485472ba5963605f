-- The kind of every top-level payload value staged, per entity schema and attribute, with how
-- many values and the first and last event time they were seen at. JSON null is no value.
-- Integers are numbers of at most 18 digits (they fit bigint); timestamps are ISO-8601 strings
-- with a time that PostgreSQL parses: their shape (digits written 0) is one of `shapes`
-- (kinds.TIMESTAMP_SHAPES). Event times are ISO-8601 text: compared byte by byte
-- (COLLATE "C"), they order as times, and cheaper than by the database's collation.
SELECT s.entity_schema, kv.key,
       CASE jsonb_typeof(kv.value)
           WHEN 'boolean' THEN 'boolean'
           WHEN 'number' THEN
               CASE WHEN scale(kv.value::numeric) = 0 AND abs(kv.value::numeric) < 1e18
                    THEN 'bigint' ELSE 'numeric' END
           WHEN 'string' THEN
               CASE WHEN substr(kv.value #>> '{}', 5, 1) = '-'
                         AND translate(kv.value #>> '{}', '0123456789', '0000000000') IN ({{ shapes }})
                         AND pg_input_is_valid(kv.value #>> '{}', 'timestamptz')
                    THEN 'timestamptz' ELSE 'text' END
           WHEN 'object' THEN CASE WHEN jsonb_typeof(kv.value -> '$relation') = 'array' THEN 'relation' ELSE 'json' END
           ELSE 'json'
       END AS kind,
       count(*), min(s.event_time COLLATE "C"), max(s.event_time COLLATE "C")
FROM typed_stage s
CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(s.p) = 'object' THEN s.p ELSE '{}'::jsonb END) kv
WHERE jsonb_typeof(kv.value) <> 'null'
{%- if slugs %}
  AND s.entity_schema IN ({{ slugs }})
{%- endif %}
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
