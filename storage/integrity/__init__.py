"""storage/integrity."""
