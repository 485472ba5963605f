"""Pipeline steps shared by the DAGs: landing extract, normalisation, quarantine, lake
writes, warehouse loads and run manifests. DAG files only wire these together."""
