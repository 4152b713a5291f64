"""Where bytes came from: what the flows hand to storage with each original."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.models import utcnow


@dataclass
class Provenance:
    """How one byte sequence was obtained.

    ``source`` is the path or URL as given; ``source_kind`` ``file`` or
    ``url``; ``obtained_by`` names the method ("file read", "HTTP GET").
    For HTTP: the final URL after redirects, status, response headers,
    validators for conditional GET and the WARC file holding the capture.
    ``warnings`` are facts about obtaining the bytes (a body longer than its
    Content-Length, a name that is not UTF-8) that go onto the record.

    ``source`` and ``filename`` are text; a file name whose bytes are not
    UTF-8 is stored as :func:`path_text` makes it (each such byte as
    ``\\xNN``) and its exact bytes, in hex, under ``headers["path_bytes_hex"]``
    of the fetch row: ``bytes.fromhex(...)`` gives them back.

    ``part_of`` is the id of the archived document these bytes were found in
    (an e-mail attachment, a container member: ``source_kind`` ``part``).
    """

    source: str
    source_kind: str
    obtained_by: str
    obtained_at: datetime = field(default_factory=utcnow)
    media_type: str | None = None
    charset: str | None = None
    filename: str | None = None
    final_url: str | None = None
    status_code: int | None = None
    headers: dict[str, Any] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    warc_path: str | None = None
    warnings: list[str] = field(default_factory=list)
    part_of: int | None = None


def path_text(path: str) -> str:
    """A path as storable text: as it is when valid UTF-8, else each undecodable byte as ``\\xNN``.

    ``path`` is a ``str`` as Python's ``os`` functions give it (undecodable
    bytes as lone surrogates, ``surrogateescape``).
    """
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def path_bytes_hex(path: str) -> str | None:
    """The exact bytes of ``path`` in hex when it is not valid UTF-8 (else ``None``: the text is exact)."""
    try:
        path.encode("utf-8")
        return None
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").hex()
