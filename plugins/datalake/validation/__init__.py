"""Data-quality checks (Great Expectations) for the rows the pipelines load."""
