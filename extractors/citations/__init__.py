"""extractors/citations."""
