"""extractors/pdf."""
