"""Where bytes came from: what the flows hand to storage with each original."""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.errors import StorageError
from storage.events import canonical_json, iso, library_version
from storage.models import Document, Fetch, utcnow

if TYPE_CHECKING:
    from extractors.record import ExtractedDocument

class AccessNotRecorded(StorageError):
    """Serving or exporting an original could not be recorded as an event (so it is not done)."""


# The libraries each extractor reads its format with (the first is "the" library; the
# citation tagger and the text rules run for every format and are archivist's own).
EXTRACTOR_LIBRARIES: dict[str, tuple[str, ...]] = {
    "pdf": ("pypdf", "python-bidi"),
    "html": ("trafilatura", "htmldate", "beautifulsoup4", "lxml"),
    "wikitext": ("mwparserfromhell",),
    "markdown": ("markdown-it-py", "mdit-py-plugins"),
    "text": ("charset-normalizer", "ftfy"),
    "docx": ("lxml",),
    "odt": ("lxml",),
    "email": (),  # Python's email package
    "mbox": (),
    "zip": (),  # Python's zipfile
    "tar": (),  # Python's tarfile
    "image-ocr": (),  # the OCR engine is named under "ocr"
}


@dataclass
class Provenance:
    """How one byte sequence was obtained.

    ``source`` is the path or URL as given; ``source_kind`` ``file`` or
    ``url``; ``obtained_by`` names the method ("file read", "HTTP GET").
    For HTTP: the final URL after redirects, status, response headers,
    validators for conditional GET and the WARC file holding the capture.
    For a file, ``etag`` is its file status (:data:`FILE_STATUS_PREFIX`:
    device, inode, size, modification and change times), the validator a
    later run compares before reading it again.
    ``warnings`` are facts about obtaining the bytes (a body longer than its
    Content-Length, a name that is not UTF-8) that go onto the record.

    ``source`` and ``filename`` are text; a file name whose bytes are not
    UTF-8 is stored as :func:`path_text` makes it (each such byte as
    ``\\xNN``) and its exact bytes, in hex, under ``headers["path_bytes_hex"]``
    of the fetch row: ``bytes.fromhex(...)`` gives them back.

    ``part_of`` is the id of the archived document these bytes were found in
    (an e-mail attachment, a container member: ``source_kind`` ``part``).

    ``custody`` is the chain-of-custody record of this acquisition, filled by
    the flows (:mod:`flows.custody`): who collected the bytes and why, with
    which tool versions, on which host and in which time zone, and for URLs
    the peer's address, the TLS certificate chain and the request as sent.
    It is stored with the fetch; a part without one inherits its parent's.
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
    custody: dict[str, Any] = field(default_factory=dict)


FILE_STATUS_PREFIX = "file:"  # the etag of a file's fetch: its status when its bytes were read


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


@lru_cache(maxsize=64)
def archivist_version() -> str:
    """archivist's own version (``unknown`` when it runs from a tree that was never installed)."""
    return library_version("archivist") or "unknown"


def extractor_tool(name: str | None, ocr: dict[str, Any] | None = None) -> dict[str, Any]:
    """The tool that made a record: the extractor's name, the libraries it used with their versions,
    archivist's and Python's versions, and the OCR engine when OCR was used."""
    libraries = {lib: library_version(lib) for lib in EXTRACTOR_LIBRARIES.get(name or "", ())}
    library, version = next(iter(libraries.items()), (None, None))
    if library is None and name in EXTRACTOR_LIBRARIES:  # the standard library does the reading
        library, version = "python", platform.python_version()
    tool: dict[str, Any] = {
        "extractor": name,
        "library": library,
        "version": version,
        "libraries": libraries,
        "archivist": archivist_version(),
        "python": platform.python_version(),
    }
    if ocr:
        tool["ocr"] = {k: ocr.get(k) for k in ("engine", "version", "languages", "dpi") if ocr.get(k) is not None}
    return tool


def derivation_of(sha256: str, record: ExtractedDocument, text_sha256: str | None) -> dict[str, Any]:
    """What a document's derived artifacts (canonical text, metadata, notes) were made from and by what.

    ``from`` is the original's SHA-256; ``tool`` names the extractor and
    versions (:func:`extractor_tool`), with the OCR engine when the text was
    recognised from images.
    """
    extra = record.metadata.extra if isinstance(record.metadata.extra, dict) else {}
    ocr = extra.get("ocr") if isinstance(extra.get("ocr"), dict) else None
    return {
        "from": {"sha256": sha256, "artifact": "original"},
        "artifacts": {"text_sha256": text_sha256, "format": record.format, "media_type": record.media_type},
        "tool": extractor_tool(record.extractor, ocr),
        "at": iso(utcnow()),
    }


# -- custody as stored with the fetch rows ---------------------------------------------------------------

INHERITED_NETWORK_KEYS = ("peer_ip", "certificate_sha256", "user_agent")


def _inherited(parent: dict[str, Any], parent_fetch_id: int, part_of: int) -> dict[str, Any]:
    """A part's custody: its parent's, without the certificate PEMs (they stay on the parent's fetch)."""
    custody = {k: v for k, v in parent.items() if k not in ("network", "extractor", "file")}
    network = parent.get("network") or {}
    if network:
        custody["network"] = {k: network.get(k) for k in INHERITED_NETWORK_KEYS} | {
            "url": (network.get("request") or {}).get("url")}
    return custody | {"part_of": part_of, "inherited_from_fetch": parent_fetch_id}


def fetch_custody(session: Session, document_id: int, prov: Provenance, doc: Any = None) -> dict[str, Any] | None:
    """The custody to store with one fetch of ``document_id``: the flows' record in ``prov.custody`` (a part
    without one inherits its parent's, with ``part_of``), and the extractor that made the record.
    ``doc``: the document's row when the caller holds it (anything with its ``status``, ``extractor``
    and ``derivation``), so it is not looked up again."""
    custody = dict(prov.custody or {})
    if prov.part_of is not None and not custody:
        parent = session.execute(select(Fetch.id, Fetch.custody).where(
            Fetch.document_id == prov.part_of, Fetch.custody.is_not(None)).order_by(Fetch.id).limit(1)).first()
        custody = _inherited(parent[1], parent[0], prov.part_of) if parent else {"part_of": prov.part_of}
    if doc is None:
        doc = session.get(Document, document_id)
    if doc is not None and doc.status == "stored" and doc.extractor:
        custody["extractor"] = (doc.derivation or {}).get("tool") or extractor_tool(doc.extractor)
    return json.loads(canonical_json(custody)) if custody else None


def document_custody(session: Session, document_id: int) -> dict[str, Any] | None:
    """The custody of the acquisition that brought ``document_id`` in (its first fetch with one), with
    ``fetch_id`` and ``fetched_at``, and how many times the same bytes were obtained since (``fetches``)."""
    rows = list(session.execute(select(Fetch.id, Fetch.fetched_at, Fetch.custody)
                                .where(Fetch.document_id == document_id).order_by(Fetch.id)))
    first = next((r for r in rows if r[2]), None)
    if first is None:
        return None
    return dict(first[2]) | {"fetch_id": first[0], "fetched_at": iso(first[1]), "fetches": len(rows)}


def default_agent() -> dict[str, Any]:
    """Who acts when the flows name nobody: the login name on this host."""
    import getpass
    import socket

    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return {"collector": name, "collector_from": "login name", "host": socket.gethostname()}
