"""The HTML pages: server-rendered with Jinja2 (autoescaped), GET only, no JavaScript needed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from storage import browse
from storage.citations.csl import document_csl
from storage.search import SearchQueryError

from flows.web import reader, render
from flows.web.api import archive_of
from flows.web.filters import search_filters

# Autoescape everywhere: document text, titles and notes are untrusted input.
TEMPLATES = Jinja2Templates(env=Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                                            autoescape=True, undefined=StrictUndefined))
TEMPLATES.env.filters["highlight"] = render.highlight
PAGE_SIZE = 20

router = APIRouter(include_in_schema=False)


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render template ``name`` with ``context``."""
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/search", status_code=303)


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, q: str = Query("", max_length=1000), page_no: int = Query(1, ge=1, alias="page"),
                limit: int = Query(PAGE_SIZE, ge=1, le=200),
                date_from: str | None = None, date_to: str | None = None, language: str | None = None,
                format: str | None = None, identifier: str | None = None) -> HTMLResponse:  # noqa: A002
    """The search form and, for a query, one page of works with snippets."""
    archive = archive_of(request)
    form = {"q": q, "date_from": date_from or "", "date_to": date_to or "", "language": language or "",
            "format": format or "", "identifier": identifier or "", "limit": limit if limit != PAGE_SIZE else ""}
    context: dict[str, Any] = {"form": form, "facets": browse.facets(archive), "result": None, "error": None,
                               "counts": None if q.strip() else archive.counts()}
    if q.strip():
        filters = search_filters(date_from, date_to, language, format, identifier)
        try:
            result, _ = reader.search_payload(archive, q, filters, limit, (page_no - 1) * limit)
        except SearchQueryError as exc:
            context["error"] = str(exc)
            return page(request, "search.html", 400, **context)
        kept = {k: v for k, v in form.items() if v}
        pages = max(1, -(-result.total // limit))
        context.update(result=result, page_no=page_no, pages=pages,
                       prev_url=f"/search?{urlencode(kept | {'page': page_no - 1})}" if page_no > 1 else None,
                       next_url=f"/search?{urlencode(kept | {'page': page_no + 1})}" if page_no < pages else None)
    return page(request, "search.html", **context)


@router.get("/documents", response_class=HTMLResponse)
def documents_page(request: Request, page_no: int = Query(1, ge=1, alias="page")) -> HTMLResponse:
    """Every record, by id, 50 a page."""
    total, docs = browse.document_page(archive_of(request), 50, (page_no - 1) * 50)
    return page(request, "documents.html", docs=docs, total=total, page_no=page_no,
                pages=max(1, -(-total // 50)))


@router.get("/documents/{ref}", response_class=HTMLResponse)
def document_page(request: Request, ref: str) -> HTMLResponse:
    """Metadata, provenance, the text with its notes, citations, cited-by, CSL-JSON."""
    archive = archive_of(request)
    doc = reader.document(archive, ref)
    data = reader.document_payload(archive, doc)
    cited = {c.cited_document_id for n in doc.footnotes for c in n.citations if c.cited_document_id}
    titles = browse.document_titles(archive, cited)
    return page(request, "document.html", doc=doc, data=data,
                paragraphs=render.text_with_notes(doc.text or "", doc.footnotes, titles),
                notes=[(n, render.citation_links(n, titles)) for n in doc.footnotes],
                fetches=browse.document_fetches(archive, doc.id), events=browse.document_events(archive, doc.id),
                work=archive.work(doc.work_id),
                csl=json.dumps(document_csl(doc), ensure_ascii=False, indent=2))


@router.get("/documents/{ref}/original")
def original(request: Request, ref: str) -> Response:
    """The original bytes, checked against their SHA-256, as a download (never rendered).

    Every download is an ``original-served`` event of the record (who: the
    client's address and user agent, the server's collector identity), written
    before a byte is sent; when it cannot be written, nothing is served (503).
    """
    archive = archive_of(request)
    doc = reader.document(archive, ref)
    data = archive.blobs.get(doc.sha256, verify=True)
    reader.record_download(archive, doc, request, len(data))
    name = Path(doc.source.split("?", 1)[0].rstrip("/")).name or f"document-{doc.id}"
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:120] or f"document-{doc.id}"
    return Response(data, media_type="application/octet-stream", headers={
        "Content-Disposition": f'attachment; filename="{safe}"',
        "X-Archivist-SHA256": doc.sha256, "X-Archivist-Media-Type": doc.media_type})


@router.get("/works/{work_id}", response_class=HTMLResponse)
def work_page(request: Request, work_id: int) -> HTMLResponse:
    """The versions of a work in order, and a form to compare any two."""
    found = reader.work(archive_of(request), work_id)
    return page(request, "work.html", work=found, docs=found.documents)


@router.get("/works/{work_id}/diff", response_class=HTMLResponse)
def diff_page(request: Request, work_id: int, a: int | None = None, b: int | None = None,
              view: str = Query("side", pattern="^(side|inline)$")) -> HTMLResponse:
    """Two versions compared, side by side or inline, changed words marked."""
    found, doc_a, doc_b = reader.versions_of(archive_of(request), work_id, a, b)
    return page(request, "diff.html", work=found, docs=found.documents, a=doc_a, b=doc_b,
                diff=reader.diff(doc_a, doc_b), view=view)


@router.get("/archive", response_class=HTMLResponse)
def archive_page(request: Request) -> HTMLResponse:
    """Counts, the last runs with their failures, the last verify and anchor."""
    archive = archive_of(request)
    return page(request, "archive.html", status=reader.status_payload(archive),
                runs=[browse.run_dict(r) for r in archive.runs(10)], home=str(archive.home), url=archive.url)
