"""Typed tables: per organisation, one table per entity schema of its current entities with one
typed column per top-level payload attribute, a relation link table and an attribute catalog,
in a schema of the organisation's own (the DAG ``entity_typed_tables``)."""
