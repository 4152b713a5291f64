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
