"""extractors/text."""
