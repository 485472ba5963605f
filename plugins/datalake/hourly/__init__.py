"""The steps every hourly stream shares: what a stream and an hour are (stream), split landing
objects (records), plan an hour's batches (landing), write the lake (lake), quarantine rejects
(quarantine), the run manifest (manifest), the quarantine gate (gate), a run's window of hours
and its steps over them (windows), event-id order (id_order)."""
