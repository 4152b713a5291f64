"""What a fetch yields: the bytes and how they were obtained, or a 304 for an archived page."""

from __future__ import annotations

from dataclasses import dataclass

from storage.provenance import Provenance


@dataclass
class Fetched:
    """Bytes and how they were obtained.

    ``not_modified`` is set when a conditional GET was answered 304: then
    ``data`` is empty, ``provenance`` is the 304's, and ``document_id`` (set
    by the ingest steps) is the archived document the validators came from.

    ``sha256`` is set when a file was not read at all: its status
    (``provenance.etag``) is the one recorded when the bytes with that
    SHA-256 were archived (see :func:`flows.fetching.files.fetch_file`);
    ``data`` is empty.
    """

    data: bytes
    provenance: Provenance
    not_modified: bool = False
    document_id: int | None = None
    sha256: str | None = None
