"""extractors/wikitext."""
