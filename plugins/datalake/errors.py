"""Errors shared across the package's layers (a module of its own, so that config, aws and s3
can all raise them without importing each other)."""


class ConfigurationError(RuntimeError):
    """A setting, connection or bucket the pipeline needs is missing or wrong."""
