"""extractors/html."""
