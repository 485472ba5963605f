-- Per column: rows with a value, and values that do not read as the type the column had
-- before it was widened (0 for a column never widened); first the row count. Over the
-- queued rows, or all rows; or (dml, PostgreSQL) over the rows a delete or insert returned.
{%- if dml is defined %}
WITH changed AS (
{{ dml }}
RETURNING *
)
{%- endif %}
SELECT count(*)
{%- for column in columns %},
       count({{ column.name }}),
       {% if column.fits %}sum(CASE WHEN {{ column.name }} IS NOT NULL AND NOT ({{ column.fits }}) THEN 1 ELSE 0 END){% else %}0{% endif %}
{%- endfor %}
{%- if dml is defined %}
FROM changed
{%- else %}
FROM {{ schema }}.{{ table }} t
{%- if changed_only %}
WHERE t.entity_id IN (SELECT entity_id FROM typed_ids)
{%- endif %}
{%- endif %}
