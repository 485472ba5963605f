-- The docs' Example 2 on the typed tables: the current opportunities (no LISTAGG self-join:
-- the table holds each active entity once, deleted ones are gone), with their customer
-- contact joined through the relation link table.
SELECT o.entity_id, o.title, o.status, o.created_at, o.updated_at, c.title AS customer
FROM opportunity o
LEFT JOIN _relations r ON r.entity_id = o.entity_id AND r.attribute = 'customer'
LEFT JOIN contact c ON c.entity_id = r.related_entity_id
ORDER BY o.updated_at DESC;
