SELECT count(*) FROM {{ schema }}.{{ table }} t
{%- if changed_only %}
WHERE t.entity_id IN (SELECT entity_id FROM typed_ids)
{%- endif %}
