"""What the pages and the API read, once: each function takes the archive and returns payload dicts."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from storage import Archive, DocumentNotFound
from storage import browse
from storage.models import Document, Work
from storage.search import SearchFilters, SearchResult
from storage.works.diffing import Diff, diff_documents

from flows import custody
from flows.web.schemas import SCHEMA_VERSION, hit_payload


class NotFound(LookupError):
    """No such document, work or version (a 404)."""


def document(archive: Archive, ref: str | int) -> Document:
    """One document by id, SHA-256 prefix or identifier."""
    try:
        return archive.document(ref)
    except DocumentNotFound as exc:
        raise NotFound(str(exc)) from exc


def document_payload(archive: Archive, doc: Document) -> dict[str, Any]:
    """``archivist show --json`` for ``doc``: the record, its text, notes and the notes citing it."""
    return browse.document_payload(archive, doc)


def record_download(archive: Archive, doc: Document, request: Request, size: int) -> int:
    """Record that the original of ``doc`` is being served to the client of ``request`` (an event id)."""
    client = request.client
    detail = {"to": {"agent": "web", "client": client.host if client else None,
                     "port": client.port if client else None,
                     "user_agent": request.headers.get("user-agent"),
                     "authenticated": bool(getattr(request.app.state, "token_required", False))},
              "by": custody.agent(), "path": request.url.path, "bytes": size, "verified": True}
    return archive.record_access("original-served", doc.id, detail)


def work(archive: Archive, work_id: int) -> Work:
    found = archive.work(work_id)
    if found is None:
        raise NotFound(f"no work {work_id}")
    return found


def search_payload(archive: Archive, query: str, filters: SearchFilters, limit: int,
                   offset: int) -> tuple[SearchResult, dict[str, Any]]:
    """The search result and its API payload (hits as ``archivist search --json`` lists them)."""
    result = archive.search(query, filters, limit, offset)
    return result, {"schema_version": SCHEMA_VERSION, "query": query, "total": result.total,
                    "total_exact": result.total_exact, "limit": result.limit, "offset": result.offset,
                    "hits": [hit_payload(h, result.total, result.total_exact) for h in result.hits]}


def versions_of(archive: Archive, work_id: int, a: int | None, b: int | None) -> tuple[Work, Document, Document]:
    """The two versions of a work to compare: ``a`` and ``b``, else its first two stored versions."""
    found = work(archive, work_id)
    stored = [d.id for d in found.documents if d.status == "stored"]
    ids = {d.id for d in found.documents}
    if a is None or b is None:
        if len(stored) < 2:
            raise NotFound(f"work {work_id} has fewer than two stored versions to compare")
        a, b = (stored[0], stored[1]) if a is None and b is None else (a or stored[0], b or stored[-1])
    for ref in (a, b):
        if ref not in ids:
            raise NotFound(f"document {ref} is not a version of work {work_id}")
    return found, document(archive, a), document(archive, b)


def diff(doc_a: Document, doc_b: Document) -> Diff:
    """The diff from ``doc_a`` to ``doc_b`` exactly as ``archivist diff A B`` computes it."""
    return diff_documents(doc_a, doc_b)


def status_payload(archive: Archive) -> dict[str, Any]:
    """Counts, the chain head, the last ``verify`` recorded and the last anchor."""
    head_id, head_hash = archive.chain_head()
    return {"schema_version": SCHEMA_VERSION, "counts": archive.counts(), "events": browse.event_count(archive),
            "head_id": head_id, "head_hash": head_hash,
            "last_verified": browse.last_event(archive, "verified"),
            "last_anchored": browse.last_event(archive, "anchored")}
