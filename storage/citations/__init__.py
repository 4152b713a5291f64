"""storage/citations."""
