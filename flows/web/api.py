"""The JSON API under ``/api/``: GET only, every response a documented pydantic model with ``schema_version``."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from storage import Archive, browse
from storage.records import document_summary

from flows.web import reader
from flows.web.filters import search_filters
from flows.web.schemas import (
    SCHEMA_VERSION,
    CitesResponse,
    DiffResponse,
    DocumentList,
    DocumentResponse,
    RunsResponse,
    SearchResponse,
    StatusResponse,
    WorkResponse,
)

router = APIRouter(prefix="/api", tags=["api"])


def archive_of(request: Request) -> Archive:
    """The archive the app serves (opened read-only by ``archivist web``)."""
    return request.app.state.archive


@router.get("/documents", response_model=DocumentList)
def api_documents(request: Request, limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0)) -> dict:
    """Every record, failed ones too, by id (one page)."""
    total, docs = browse.document_page(archive_of(request), limit, offset)
    return {"schema_version": SCHEMA_VERSION, "total": total, "limit": limit, "offset": offset,
            "documents": [document_summary(d) for d in docs]}


@router.get("/documents/{ref}", response_model=DocumentResponse, response_model_exclude_unset=True)
def api_document(request: Request, ref: str) -> dict:
    """One record by id, SHA-256 prefix or identifier: as ``archivist show REF --json``."""
    archive = archive_of(request)
    return reader.document_payload(archive, reader.document(archive, ref)) | {"schema_version": SCHEMA_VERSION}


@router.get("/documents/{ref}/csl", response_model=list[dict])
def api_document_csl(request: Request, ref: str) -> list[dict]:
    """The document's citations as CSL-JSON (``archivist show REF --csl``)."""
    from storage.citations.csl import document_csl

    return document_csl(reader.document(archive_of(request), ref))


@router.get("/search", response_model=SearchResponse)
def api_search(request: Request, q: str = Query(..., min_length=1, max_length=1000),
               limit: int = Query(20, ge=1, le=200), offset: int = Query(0, ge=0),
               date_from: str | None = None, date_to: str | None = None, language: str | None = None,
               format: str | None = None, identifier: str | None = None,  # noqa: A002 - the filter's name
               work: int | None = None) -> dict:
    """Works matching ``q`` (the query language of ``archivist search``), best first."""
    filters = search_filters(date_from, date_to, language, format, identifier, work)
    return reader.search_payload(archive_of(request), q, filters, limit, offset)[1]


@router.get("/works/{work_id}", response_model=WorkResponse)
def api_work(request: Request, work_id: int) -> dict:
    """A work with its versions in order."""
    found = reader.work(archive_of(request), work_id)
    return {"schema_version": SCHEMA_VERSION, "id": found.id, "title": found.title,
            "versions": [document_summary(d) for d in found.documents]}


@router.get("/works/{work_id}/diff", response_model=DiffResponse)
def api_diff(request: Request, work_id: int, a: int | None = None, b: int | None = None) -> dict:
    """The diff of two versions (``archivist diff A B --json``); by default the first two."""
    _, doc_a, doc_b = reader.versions_of(archive_of(request), work_id, a, b)
    return reader.diff(doc_a, doc_b).to_dict() | {"schema_version": SCHEMA_VERSION}


@router.get("/cites", response_model=CitesResponse)
def api_cites(request: Request, ref: str = Query(..., min_length=1, max_length=500)) -> dict:
    """The document ``ref`` names and every note citing it (``archivist cites REF --json``)."""
    return archive_of(request).find_citing(ref) | {"schema_version": SCHEMA_VERSION}


@router.get("/runs", response_model=RunsResponse)
def api_runs(request: Request, limit: int = Query(50, ge=1, le=500)) -> dict:
    """Ingest runs, newest first, with counts and failures (``archivist runs --json``)."""
    return {"schema_version": SCHEMA_VERSION, "runs": [browse.run_dict(r) for r in archive_of(request).runs(limit)]}


@router.get("/status", response_model=StatusResponse)
def api_status(request: Request) -> dict:
    """Counts, chain head, the last recorded ``verify`` and the last anchor."""
    return reader.status_payload(archive_of(request))
