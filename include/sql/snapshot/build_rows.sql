-- SnapshotOperation rows of month M: one row per entity active at the first instant of M.
--
-- Incremental: the input is the latest earlier snapshot S (normally S = M-1; its partition
-- holds S's SnapshotOperation rows *and* the EntityOperation rows of month S) plus the
-- EntityOperation rows of the months strictly between S and M (none when S = M-1).
-- Without any earlier snapshot (the first month ever) the input is every EntityOperation
-- row before M: the one-off full-history fallback.
--
-- Latest wins by (time, id), as for current_entities. A snapshot row carries the state as of
-- the first instant of its month, so an EntityOperation at exactly that instant is newer:
-- at equal time, EntityOperation ranks above SnapshotOperation.
-- The snapshot row keeps the latest row's detail, activity_id, schema, account, source and
-- region; operation is always updateEntity (a snapshot must never count as a creation).
INSERT INTO snapshot_rows
    (id, "detail-type", operation, source, account, time, region, activity_id, entity_id, detail, schema, month, year)
SELECT 'snapshot-' || entity_id || '-' || CAST(%(id_suffix)s AS varchar(7)),
       'SnapshotOperation',
       'updateEntity',
       source, account, CAST(%(month_start)s AS varchar(24)), region, activity_id, entity_id, detail, schema,
       CAST(%(month)s AS varchar(2)), CAST(%(year)s AS varchar(4))
FROM (
    SELECT o.id, o."detail-type", o.operation, o.source, o.account, o.time, o.region, o.activity_id,
           o.entity_id, o.detail, o.schema,
           ROW_NUMBER() OVER (
               PARTITION BY o.entity_id
               ORDER BY o.time DESC,
                        CASE WHEN o."detail-type" = 'SnapshotOperation' THEN 0 ELSE 1 END DESC,
                        o.id DESC
           ) AS rn
    FROM epilot_datalake.entity_operations o
{%- if base %}
    WHERE (o.year = '{{ base.year }}' AND o.month = '{{ base.month }}')
{%- for p in between %}
       OR (o.year = '{{ p.year }}' AND o.month = '{{ p.month }}' AND o."detail-type" = 'EntityOperation')
{%- endfor %}
{%- else %}
    WHERE o."detail-type" = 'EntityOperation' AND o.time < %(month_start)s
{%- endif %}
) latest
WHERE rn = 1
  AND operation <> 'deleteEntity';
