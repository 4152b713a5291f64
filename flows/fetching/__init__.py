"""Obtaining bytes: local files (:mod:`.files`), http(s) URLs (:mod:`.http`) with WARC capture (:mod:`.warc`)."""
