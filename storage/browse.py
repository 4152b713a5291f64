"""Read-only queries for browsing an archive (the web interface and its JSON API).

Each function opens one read session (:meth:`storage.Archive.reading`) and
returns plain dicts, so nothing here writes and nothing outlives its session.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from storage.archive import Archive
from storage.events import iso
from storage.models import Document, Event, Fetch, Run


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
    """One ingest run as ``archivist runs --json`` prints it."""
    return {"id": run.id, "started_at": str(run.started_at),
            "finished_at": str(run.finished_at) if run.finished_at else None, "status": run.status,
            "trigger": run.trigger, "counts": run.counts or {}, "failures": run.failures or [],
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
        docs = list(session.scalars(select(Document).order_by(Document.id).limit(limit).offset(offset)))
        for doc in docs:
            _ = doc.identifiers  # loaded inside the session
        return total, docs
