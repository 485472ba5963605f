-- Remove the smoke's rows, in the caller's transaction. The org is reserved for the smoke:
-- this also removes what a crashed earlier smoke left.
DELETE FROM epilot_datalake.entity_latest_operation
WHERE entity_id IN (SELECT entity_id FROM epilot_datalake.entity_operations WHERE account = %(org)s);

DELETE FROM epilot_datalake.entity_operations WHERE account = %(org)s;

DELETE FROM epilot_datalake.current_entities WHERE account = %(org)s;

DELETE FROM datalake_ops.entity_event_owner WHERE run_key = %(run_key)s;

DELETE FROM datalake_ops.run_manifest WHERE pipeline = %(pipeline)s AND run_key = %(run_key)s;
