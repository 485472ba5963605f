"""The steps every hourly stream shares: split landing objects (records), plan an hour's
batches (landing), write the lake (lake), quarantine rejects (quarantine), the run manifest and
the quarantine gate (manifest), reprocess windows (windows), event-id order (id_order)."""
