"""Read-only queries for browsing an archive (the web interface and its JSON API).

Each function opens one read session (:meth:`storage.Archive.reading`) and
returns plain dicts, so nothing here writes and nothing outlives its session.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import load_only, selectinload

from storage.archive import Archive
from storage.citations.queries import resolve_ref
from storage.errors import DocumentNotFound
from storage.events import iso
from storage.models import Document, DocumentIdentifier, Event, Fetch, Run
from storage.records import SUMMARY_COLUMNS, document_detail

MIN_SHA_PREFIX = 6  # hex digits of a SHA-256 that name a document (when only one has them)


def _event_dict(event: Event) -> dict[str, Any]:
    return {"id": event.id, "kind": event.kind, "outcome": event.outcome, "created_at": iso(event.created_at),
            "document_id": event.document_id, "work_id": event.work_id, "run_id": event.run_id,
            "detail": event.detail or {}, "record_hash": event.record_hash, "prev_hash": event.prev_hash,
            "hash": event.hash}


def document_events(archive: Archive, document_id: int) -> list[dict[str, Any]]:
    """The chain of events about one document, oldest first (each with its hash and the previous one's)."""
    with archive.reading() as session:
        return [_event_dict(e) for e in session.scalars(
            select(Event).where(Event.document_id == document_id).order_by(Event.id))]


def document_fetches(archive: Archive, document_id: int) -> list[dict[str, Any]]:
    """Every time the bytes of one document were obtained: source, time, HTTP status, WARC file."""
    with archive.reading() as session:
        return [{"id": f.id, "source": f.source, "final_url": f.final_url, "status_code": f.status_code,
                 "fetched_at": iso(f.fetched_at), "etag": f.etag, "last_modified": f.last_modified,
                 "warc_path": f.warc_path, "run_id": f.run_id, "error": (f.headers or {}).get("error")}
                for f in session.scalars(select(Fetch).where(Fetch.document_id == document_id).order_by(Fetch.id))]


def document_titles(archive: Archive, ids: set[int]) -> dict[int, str]:
    """Title (else source) of each document id in ``ids`` (to label links to cited documents)."""
    if not ids:
        return {}
    with archive.reading() as session:
        rows = session.execute(select(Document.id, Document.title, Document.source)
                               .where(Document.id.in_(sorted(ids)))).all()
        return {int(i): (t or s) for i, t, s in rows}


def facets(archive: Archive) -> dict[str, list[str]]:
    """The languages and formats of stored documents (the choices of the search filters)."""
    with archive.reading() as session:
        def values(column: Any) -> list[str]:
            return [v for v in session.scalars(select(column).where(Document.status == "stored", column.isnot(None))
                                               .distinct().order_by(column)) if v]
        return {"languages": values(Document.language), "formats": values(Document.format)}


def run_dict(run: Run) -> dict[str, Any]:
    """One run as ``runs --json`` and ``/api/runs`` list it (times ISO 8601 UTC with ``Z``, the duration in seconds)."""
    duration = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
    return {"id": run.id, "status": run.status, "trigger": run.trigger, "started_at": iso(run.started_at),
            "finished_at": iso(run.finished_at) if run.finished_at else None,
            "duration_s": round(duration, 3) if duration is not None else None,
            "sources": run.items or 0,  # (``sources`` itself is not loaded; migration 0012 counted old runs)
            "counts": dict(run.counts or {}),
            "failures": list(run.failures or []), "warnings": list(run.warnings or []),
            "flow_run_id": run.flow_run_id}


def last_event(archive: Archive, kind: str) -> dict[str, Any] | None:
    """The newest event of ``kind`` (``verified``, ``anchored``), or ``None``."""
    with archive.reading() as session:
        event = session.scalar(select(Event).where(Event.kind == kind).order_by(Event.id.desc()).limit(1))
        return _event_dict(event) if event is not None else None


def event_count(archive: Archive) -> int:
    """How many events the chain holds."""
    with archive.reading() as session:
        return int(session.scalar(select(func.count()).select_from(Event)) or 0)


def document_page(archive: Archive, limit: int, offset: int) -> tuple[int, list[Document]]:
    """All documents (failed ones too), by id, one page of them, and how many there are."""
    with archive.reading() as session:
        total = int(session.scalar(select(func.count()).select_from(Document)) or 0)
        return total, list(session.scalars(
            select(Document).options(load_only(*SUMMARY_COLUMNS, raiseload=True), selectinload(Document.identifiers))
            .order_by(Document.id).limit(limit).offset(offset)))


def matching_ids(archive: Archive, ref: str) -> list[int]:
    """Every document ``ref`` names, by id: an id, a SHA-256 prefix of 6+ hex digits (all documents
    whose hash starts so), an identifier (every document carrying it, failed ones too), a URL."""
    text = (ref or "").strip()
    with archive.reading() as session:
        if text.isdigit() and len(text) < 12 and session.get(Document, int(text)) is not None:
            return [int(text)]
        if len(text) >= MIN_SHA_PREFIX and re.fullmatch(r"[0-9a-fA-F]+", text):
            found = list(session.scalars(select(Document.id).where(Document.sha256.startswith(text.lower()))
                                         .order_by(Document.id).limit(100)))
            if found:
                return found
        found = list(session.scalars(select(DocumentIdentifier.document_id)
                                     .where(DocumentIdentifier.value == text).distinct()))
        if found:
            return sorted(set(found))
        try:
            docs, _, _ = resolve_ref(session, text)
        except DocumentNotFound:
            return []
        return [d.id for d in docs]


def brief(doc: Document) -> dict[str, Any]:
    """One line's worth of a document (``show``'s list of what a reference matches)."""
    return {"id": doc.id, "status": doc.status, "work_id": doc.work_id, "version": doc.version,
            "format": doc.format, "sha256": doc.sha256, "title": doc.title, "source": doc.source}


def briefs(archive: Archive, ids: list[int]) -> list[dict[str, Any]]:
    """:func:`brief` of each document of ``ids``, in that order."""
    with archive.reading() as session:
        by_id = {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(ids)))}
    return [brief(by_id[i]) for i in ids if i in by_id]


def fetches(archive: Archive, document_id: int) -> list[dict[str, Any]]:
    """Every time the document's bytes were obtained (first first): where from, when, with what answer."""
    with archive.reading() as session:
        rows = list(session.scalars(select(Fetch).where(Fetch.document_id == document_id).order_by(Fetch.id)))
    return [{"source": f.source, "final_url": f.final_url, "status_code": f.status_code, "etag": f.etag,
             "last_modified": f.last_modified, "fetched_at": iso(f.fetched_at), "warc_path": f.warc_path,
             "run_id": f.run_id} for f in rows]


def document_payload(archive: Archive, doc: Document, matches: list[int] | None = None) -> dict[str, Any]:
    """The whole record as ``show --json`` and ``GET /api/documents/{ref}`` give it (one serialiser for both):
    the record, its text and notes, the notes citing it, every fetch, its custody and derivation, and the
    documents the reference named (``matches``; just this one when not given)."""
    data = document_detail(doc)
    data["cited_by"] = archive.cited_by(doc.id)
    data["fetches"] = fetches(archive, doc.id)
    data["matches"] = briefs(archive, matches or [doc.id])
    data["custody"] = archive.custody(doc.id)
    data["derivation"] = doc.derivation
    return data
