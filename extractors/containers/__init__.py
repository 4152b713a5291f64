"""Containers: ZIP and tar archives (a ``.tar.gz`` arrives here as tar: the registry gunzips first).

Every regular member becomes a :class:`~extractors.record.Part` of role
``member`` named by its path in the container; the flows ingest each as its
own document. Nothing is ever written to disk.
"""
