"""BagIt export: originals, canonical texts, records and events in a self-checking bag.

Layout (every path is built from hashes and ids, never from a source's name
except a sanitized extension)::

    DIR/bagit.txt, bag-info.txt, manifest-sha256.txt, tagmanifest-sha256.txt
    DIR/data/originals/<sha256><ext>   the original bytes, re-hashed while copied
    DIR/data/texts/<id>.txt            canonical texts (UTF-8)
    DIR/data/records/<id>.json         metadata, footnotes, citations, provenance
    DIR/data/works.json                the works the exported documents belong to
    DIR/data/events.jsonl              the events (each line verifiable on its own)
    DIR/data/custody/premis.xml        the custody record: PREMIS 3 objects, events, agents
    DIR/data/anchors/                  the signed anchors of events in the bag, and the public key
    DIR/data/timestamps/               RFC 3161 time-stamp tokens (.tsr) with their message and certificates
    DIR/verify_bag.py                  a stand-alone checker (Python + cryptography only) of all the above

``--work`` and ``--since`` narrow the documents; the events are then those
about the exported documents and works (and, with ``--since``, created since
then), so a bag about one case does not disclose the others. The export is
logged as an ``exported`` event carrying the bag's manifest digests, and each
exported document as an ``original-exported`` event (the hashes re-computed
while copying, the paths in the bag, who exported).
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import bagit
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from storage import events
from storage.blobs import make_private_dir, private_umask
from storage.database import transaction
from storage.errors import StorageError
from storage.integrity.premis import add_verifier, write_bag_proof
from storage.models import StoredCitation, Document, Event, Fetch, StoredFootnote, Work
from storage.provenance import default_agent
from storage.records import document_detail, record_hash

if TYPE_CHECKING:
    from storage.archive import Archive

MAX_EXT = 12
MAX_NAME = 120
_FORMAT_EXT = {"pdf": ".pdf", "html": ".html", "markdown": ".md", "wikitext": ".wiki", "plaintext": ".txt",
               "text": ".txt"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class ExportError(StorageError):
    """The export could not be made (bad target, damaged original)."""


def safe_name(name: str, max_len: int = MAX_NAME) -> str:
    """One path component from an untrusted name: no separators, no '..', no control characters, bounded.

    Only ``A-Z a-z 0-9 . _ -`` survive (other runs become ``_``); leading dots
    and trailing dots, dashes and underscores are dropped (no hidden files, no ``..``); empty results become ``_``.
    """
    text = _CONTROL.sub("", str(name))
    text = text.replace("/", "_").replace("\\", "_")
    text = _UNSAFE.sub("_", text)
    text = re.sub(r"\.{2,}", ".", text).strip("._-") or "_"
    return text[:max_len]


def safe_ext(source: str | None, fmt: str | None = None, media_type: str | None = None) -> str:
    """A file extension for an original: from the source's last path component, else its format or media type.

    Always empty or ``.`` followed by 1..``MAX_EXT`` lowercase ASCII letters and digits.
    """
    candidates: list[str] = []
    if source:
        path = urlsplit(source).path if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", source) else source
        last = re.split(r"[\\/]", path)[-1]
        if "." in last.strip("."):
            candidates.append(last.rsplit(".", 1)[1])
    if fmt and fmt in _FORMAT_EXT:
        candidates.append(_FORMAT_EXT[fmt])
    if media_type:
        guessed = mimetypes.guess_extension(media_type.split(";")[0].strip())
        if guessed:
            candidates.append(guessed)
    for cand in candidates:
        ext = re.sub(r"[^a-z0-9]", "", _CONTROL.sub("", cand).lower())
        if 0 < len(ext) <= MAX_EXT:
            return "." + ext
    return ""


def bag_path(*parts: str) -> str:
    """A POSIX path inside the bag's payload; refuses anything that could escape ``data/``."""
    path = PurePosixPath(*parts)
    if path.is_absolute() or any(p in ("..", ".", "") for p in path.parts) or any(
            _CONTROL.search(p) for p in path.parts):
        raise ExportError(f"unsafe path in bag: {path!s}")
    return str(path)


def parse_since(text: str) -> datetime:
    """``YYYY-MM-DD`` or an ISO timestamp (naive means UTC)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            day = date.fromisoformat(text.strip())
        except ValueError as exc:
            raise ExportError(f"--since {text!r}: not a date (YYYY-MM-DD) or ISO timestamp") from exc
        value = datetime(day.year, day.month, day.day)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass
class ExportResult:
    directory: str
    documents: int = 0
    originals: int = 0
    texts: int = 0
    events: int = 0
    bytes: int = 0
    head_id: int = 0
    head_hash: str = ""
    event_id: int | None = None
    manifest_sha256: str = ""
    tagmanifest_sha256: str = ""
    payload_oxum: str = ""
    filters: dict[str, Any] = field(default_factory=dict)
    # per exported document: what was copied where (the ``original-exported`` events; not in to_dict)
    transfers: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "transfers"}


def _copy_verified(src: Path, dest: Path, sha256: str) -> int:
    """Copy ``src`` to ``dest`` while hashing; raise if the bytes are not the ones recorded."""
    digest = hashlib.sha256()
    size = 0
    try:
        with open(src, "rb") as fin, open(dest, "xb") as fout:
            while chunk := fin.read(1 << 20):
                digest.update(chunk)
                fout.write(chunk)
                size += len(chunk)
    except FileNotFoundError as exc:
        raise ExportError(f"{src}: missing from the store (expected sha256 {sha256}); run `archivist verify`") from exc
    if digest.hexdigest() != sha256:
        raise ExportError(f"{src}: does not hash to {sha256} (found {digest.hexdigest()}); "
                          "refusing to export damaged bytes; run `archivist verify`")
    return size


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n").encode("utf-8")


def export_bag(archive: Archive, directory: str | os.PathLike[str], work: int | None = None,
               since: datetime | str | None = None, processes: int | None = None,
               agent: dict[str, Any] | None = None,
               progress: Callable[[int, int | None], None] | None = None) -> ExportResult:
    """Write a BagIt bag of the (selected) archive to ``directory`` (which must be new or empty).

    Every original and text is re-hashed while it is copied (damaged bytes
    are never exported). The export is one ``exported`` event, and each
    exported document gets an ``original-exported`` event naming the bag,
    the paths and the hashes copied, and ``agent`` (who exported: the flows'
    collector identity, :func:`flows.custody.agent`; default the login name).
    ``progress`` is told ``(steps done, steps or None while unknown)``: one
    step per record written, then one per original and per text copied.
    """
    target = Path(directory)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ExportError(f"{target}: exists and is not an empty directory")
    since_dt = parse_since(since) if isinstance(since, str) else since
    filters = {k: v for k, v in {"work": work, "since": events.iso(since_dt) if since_dt else None}.items()
               if v is not None}
    created = not target.exists()
    make_private_dir(target)  # a new bag folder is 0700, and everything written into it 0600 / 0700
    result = ExportResult(str(target.resolve()), filters=filters)
    try:
        with private_umask():
            bag = _write_bag(archive, target, work, since_dt, result, filters, processes, progress)
    except BaseException:
        if created:
            shutil.rmtree(target, ignore_errors=True)
        else:
            for child in target.iterdir():
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        raise
    result.payload_oxum = bag.info.get("Payload-Oxum", "")
    result.manifest_sha256 = hashlib.sha256((target / "manifest-sha256.txt").read_bytes()).hexdigest()
    result.tagmanifest_sha256 = hashlib.sha256((target / "tagmanifest-sha256.txt").read_bytes()).hexdigest()
    with transaction(archive.sessions) as session:
        event = events.append_event(session, "exported", "ok", work_id=work, detail={
            "directory": result.directory, "documents": result.documents, "originals": result.originals,
            "texts": result.texts, "events": result.events, "bytes": result.bytes, "filters": filters,
            "head_id": result.head_id, "head_hash": result.head_hash, "payload_oxum": result.payload_oxum,
            "manifest_sha256": result.manifest_sha256, "tagmanifest_sha256": result.tagmanifest_sha256,
        })
        result.event_id = event.id
        by = agent or default_agent()
        for transfer in result.transfers:
            events.append_event(session, "original-exported", "ok", document_id=transfer.pop("document_id"),
                                work_id=transfer.pop("work_id"), detail=transfer | {
                                    "to": {"bag": result.directory, "export_event_id": event.id}, "by": by,
                                    "rehashed": True})
    return result


def _write_bag(archive: Archive, target: Path, work: int | None, since: datetime | None, result: ExportResult,
               filters: dict[str, Any], processes: int | None,
               progress: Callable[[int, int | None], None] | None = None) -> bagit.Bag:
    """The payload, then the bag around it."""
    _write_payload(archive, target, work, since, result, progress or (lambda _done, _total: None))
    proof = write_bag_proof(archive, target, result.head_id)  # custody/premis.xml, anchors/, timestamps/
    bag_info = {
        "Source-Organization": "archivist",
        "External-Description": "archivist export: original bytes, canonical texts, records with footnotes "
                                "and citations, works, and the hash-chained events",
        "External-Identifier": f"archivist-chain-{result.head_id}-{result.head_hash[:16]}",
        "Archivist-Chain-Head": f"{result.head_id} {result.head_hash}",
        "Archivist-Documents": str(result.documents),
        "Archivist-Filter": json.dumps(filters, sort_keys=True) if filters else "none",
        "Archivist-Anchors": str(proof["anchors"]),
        "Archivist-Timestamp-Tokens": str(proof["tokens"]),
        "Archivist-Verifier": "python verify_bag.py . (needs only Python and the cryptography package)",
    }
    bag = bagit.make_bag(str(target), bag_info=bag_info, processes=processes or min(4, os.cpu_count() or 1),
                         checksums=["sha256"])
    add_verifier(bag)
    return bag


def _write_payload(archive: Archive, target: Path, work: int | None, since: datetime | None,
                   result: ExportResult, progress: Callable[[int, int | None], None]) -> None:
    # make_bag moves the directory's contents into data/, so the payload is written at the top.
    for sub in ("originals", "texts", "records"):
        (target / sub).mkdir()
    originals: list[tuple[str, str]] = []  # (sha256, relative path in payload)
    texts: list[tuple[str, str, int]] = []  # (text sha256, relative path, document id)
    doc_ids: set[int] = set()
    work_ids: set[int] = set()
    with archive.reading() as session:
        result.head_id, result.head_hash = events.chain_head(session)
        stmt = select(Document).order_by(Document.id).options(
            selectinload(Document.identifiers),
            selectinload(Document.footnotes).selectinload(StoredFootnote.markers),
            selectinload(Document.footnotes).selectinload(StoredFootnote.citations)
                .selectinload(StoredCitation.identifiers),
        ).execution_options(yield_per=200)
        if work is not None:
            stmt = stmt.where(Document.work_id == work)
        if since is not None:
            stmt = stmt.where(Document.ingested_at >= since)
        seen_sha: set[str] = set()
        for doc in session.scalars(stmt):
            original = bag_path("originals", doc.sha256 + safe_ext(doc.source, doc.format, doc.media_type))
            if doc.sha256 not in seen_sha:
                seen_sha.add(doc.sha256)
                originals.append((doc.sha256, original))
            text_file = None
            if doc.text_sha256:
                text_file = bag_path("texts", f"{int(doc.id)}.txt")
                texts.append((doc.text_sha256, text_file, doc.id))
            record = document_detail(doc)
            record.pop("text", None)  # kept byte for byte in texts/
            record["record_hash"] = record_hash(doc)
            record["files"] = {"original": "data/" + original,
                               "text": ("data/" + text_file) if text_file else None}
            record["fetches"] = [
                {"source": f.source, "final_url": f.final_url, "status_code": f.status_code, "etag": f.etag,
                 "last_modified": f.last_modified, "fetched_at": events.iso(f.fetched_at),
                 "warc_path": f.warc_path, "run_id": f.run_id, "headers": f.headers, "custody": f.custody}
                for f in session.scalars(select(Fetch).where(Fetch.document_id == doc.id).order_by(Fetch.id))
            ]
            record["derivation"] = doc.derivation
            result.transfers.append({"document_id": doc.id, "work_id": doc.work_id, "sha256": doc.sha256,
                                     "size": doc.size, "path": "data/" + original, "text_sha256": doc.text_sha256,
                                     "text_path": ("data/" + text_file) if text_file else None})
            (target / bag_path("records", f"{int(doc.id)}.json")).write_bytes(_json_bytes(record))
            doc_ids.add(doc.id)
            work_ids.add(doc.work_id)
            result.documents += 1
            progress(result.documents, None)
            session.expunge(doc)
        works = [{"id": w.id, "title": w.title, "created_at": events.iso(w.created_at),
                  "documents": [d.id for d in w.documents if d.id in doc_ids]}
                 for w in session.scalars(select(Work).where(Work.id.in_(sorted(work_ids))).order_by(Work.id))]
        (target / "works.json").write_bytes(_json_bytes(works))
        ev_stmt = select(Event).where(Event.id <= result.head_id).order_by(Event.id).execution_options(yield_per=1000)
        if since is not None:
            ev_stmt = ev_stmt.where(Event.created_at >= since)
        narrowed = work is not None or since is not None
        with open(target / "events.jsonl", "wb") as fh:
            for event in session.scalars(ev_stmt):
                if narrowed and event.document_id not in doc_ids and event.work_id not in work_ids:
                    session.expunge(event)
                    continue
                line = events.event_payload(event) | {"hash": event.hash}
                fh.write(events.canonical_json(line).encode("utf-8") + b"\n")
                result.events += 1
                session.expunge(event)
    # Bytes are copied outside the database session, so the read transaction stays short.
    total = result.documents + len(originals) + len(texts)
    for sha, rel in originals:
        result.bytes += _copy_verified(archive.blobs.path(sha), target / rel, sha)
        result.originals += 1
        progress(result.documents + result.originals, total)
    for sha, rel, _doc_id in texts:
        _copy_verified(archive.texts.path(sha), target / rel, sha)
        result.texts += 1
        progress(result.documents + result.originals + result.texts, total)
