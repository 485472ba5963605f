"""What the benchmark measures, one module a part: `entity` (hours of N events against the
floor), `snapshot`, `queries` (against the length of history), `workflow`, `dag_parse`."""
