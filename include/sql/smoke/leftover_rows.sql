-- Smoke rows left in the warehouse after the cleanup (must be 0).
-- entity_ids, event_ids: IN lists of quoted literals (Redshift has no arrays).
SELECT (SELECT count(*) FROM epilot_datalake.entity_operations WHERE entity_id IN {{ entity_ids }})
     + (SELECT count(*) FROM epilot_datalake.current_entities WHERE entity_id IN {{ entity_ids }})
     + (SELECT count(*) FROM epilot_datalake.entity_latest_operation WHERE entity_id IN {{ entity_ids }})
     + (SELECT count(*) FROM datalake_ops.entity_event_owner WHERE id IN {{ event_ids }})
     + (SELECT count(*) FROM datalake_ops.run_manifest WHERE run_key = %(run_key)s);
