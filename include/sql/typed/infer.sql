-- The kind of every top-level payload value staged, per entity schema and attribute, with how
-- many values and the first and last event time they were seen at (but the payload's id).
-- JSON null is no value.
-- Integers are numbers of at most 18 digits (they fit bigint); timestamps are ISO-8601 strings
-- with a time that PostgreSQL parses: their shape (digits written 0) is one of `shapes`
-- (kinds.TIMESTAMP_SHAPES); a string's shape is written with replace(), which costs half
-- what translate() does. Each value's JSON type is read once: JSON nulls are grouped as a kind
-- of their own and left out at the end (filtering them first read every value's type twice).
{%- set shape = namespace(sql="kv.value #>> '{}'") %}
{%- for digit in "123456789" %}
{%- set shape.sql = "replace(" ~ shape.sql ~ ", '" ~ digit ~ "', '0')" %}
{%- endfor %}
WITH kinds AS MATERIALIZED (
SELECT s.entity_schema, kv.key,
       CASE jsonb_typeof(kv.value)
           WHEN 'null' THEN 'null'
           WHEN 'boolean' THEN 'boolean'
           WHEN 'number' THEN
               CASE WHEN scale(kv.value::numeric) = 0 AND abs(kv.value::numeric) < 1e18
                    THEN 'bigint' ELSE 'numeric' END
           WHEN 'string' THEN
               CASE WHEN substr(kv.value #>> '{}', 5, 1) = '-'
                         AND {{ shape.sql }} IN ({{ shapes }})
                         AND pg_input_is_valid(kv.value #>> '{}', 'timestamptz')
                    THEN 'timestamptz' ELSE 'text' END
           WHEN 'object' THEN CASE WHEN jsonb_typeof(kv.value -> '$relation') = 'array' THEN 'relation' ELSE 'json' END
           ELSE 'json'
       END AS kind,
       count(*), min(s.event_time), max(s.event_time)
FROM typed_stage s
CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(s.p) = 'object' THEN s.p ELSE '{}'::jsonb END) kv
-- The payload's id is the entity_id column, typed text whatever it holds
-- (kinds.ENTITY_ID_ATTRIBUTE): one value in seventeen that need not be classified.
WHERE kv.key <> '_id'
{%- if slugs %}
  AND s.entity_schema IN ({{ slugs }})
{%- endif %}
GROUP BY 1, 2, 3
)
SELECT * FROM kinds WHERE kind <> 'null' ORDER BY 1, 2, 3
