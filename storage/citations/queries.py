"""Read queries of the citation graph: who cites a document, what a reference names.

:func:`cited_by` (``archivist show``), :func:`resolve_ref` (what a document id,
hash, identifier or URL names) and :func:`find_citing` (``archivist cites``).
Nothing here writes; run them in a read session (``Archive.reading``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from extractors.text.identifiers import identifier_key, normalize_identifier
from extractors.text.urls import BARE_HOST_RE, url_key

from storage.citations.lookups import (
    chunks,
    citations_by_identifiers,
    citations_by_urls,
    docs_by_identifiers,
    docs_by_urls,
    document_raw_urls,
    load_doc_keys,
)
from storage.errors import DocumentNotFound
from storage.models import Document, DocumentIdentifier, FootnoteMarker, StoredCitation, StoredFootnote


def _entries(session: Session, via: dict[int, str], exclude_docs: set[int] = frozenset(),  # type: ignore[assignment]
             exclude_works: set[int] = frozenset()) -> list[dict[str, Any]]:  # type: ignore[assignment]
    """One entry per citing footnote, for the citations in ``via`` (citation id -> how found)."""
    rows = []
    for chunk in chunks(via):
        rows += session.execute(
            select(StoredCitation.id, StoredCitation.seq, StoredCitation.text, StoredCitation.pinpoint,
                   StoredCitation.refers_to, StoredCitation.cited_document_id, StoredFootnote.id, StoredFootnote.seq,
                   StoredFootnote.label, StoredFootnote.text, StoredFootnote.context, Document.id, Document.work_id,
                   Document.title, Document.source, Document.date)
            .join(StoredFootnote, StoredFootnote.id == StoredCitation.footnote_id)
            .join(Document, Document.id == StoredFootnote.document_id)
            .where(StoredCitation.id.in_(chunk))
        ).all()
    rows.sort(key=lambda r: (r[11], r[7], r[1]))
    order = {"link": 0, "identifier": 1, "url": 2, "title": 3}
    entries: dict[int, dict[str, Any]] = {}
    for (cid, cseq, ctext, pin, refers, linked, fid, fseq, label, ntext, nctx, did, wid, title, source,
         ddate) in rows:
        if did in exclude_docs or wid in exclude_works:
            continue
        how = via[cid]
        entry = entries.get(fid)
        if entry is not None:
            if order.get(how, 9) < order.get(entry["via"], 9):
                entry["via"] = how
            continue
        entries[fid] = {
            "document_id": did, "title": title, "source": source, "date": ddate,
            "label": label, "note_seq": fseq, "note_text": ntext, "context": nctx or "",
            "contexts": [], "citation_text": ctext, "pinpoint": pin, "repeat": refers is not None,
            "citation_id": cid, "cited_document_id": linked, "via": how,
        }
    for chunk in chunks(entries):
        for fid, ctx in session.execute(select(FootnoteMarker.footnote_id, FootnoteMarker.context)
                                        .where(FootnoteMarker.footnote_id.in_(chunk))
                                        .order_by(FootnoteMarker.footnote_id, FootnoteMarker.seq)):
            if ctx and ctx not in entries[fid]["contexts"]:
                entries[fid]["contexts"].append(ctx)
    for entry in entries.values():
        if not entry["context"] and entry["contexts"]:
            entry["context"] = entry["contexts"][0]
    return list(entries.values())


def cited_by(session: Session, document_id: int) -> list[dict[str, Any]]:
    """Notes in other archived documents that cite ``document_id`` (one entry per citing note)."""
    ids = list(session.scalars(select(StoredCitation.id).where(StoredCitation.cited_document_id == document_id)))
    return _entries(session, {cid: "link" for cid in ids}, exclude_docs={document_id})


def _document_dict(doc: Document, session: Session) -> dict[str, Any]:
    idents = session.execute(select(DocumentIdentifier.scheme, DocumentIdentifier.value)
                             .where(DocumentIdentifier.document_id == doc.id)
                             .order_by(DocumentIdentifier.id)).all()
    return {"id": doc.id, "title": doc.title, "source": doc.source, "date": doc.date, "sha256": doc.sha256,
            "work_id": doc.work_id, "status": doc.status,
            "identifiers": [{"scheme": s, "value": v} for s, v in idents]}


def _looks_like_url(text: str) -> bool:
    return bool(re.match(r"^(?:https?://|www\d?\.)", text, re.IGNORECASE)) or (
        "/" in text and " " not in text and bool(BARE_HOST_RE.match(text)))


def resolve_ref(session: Session, ref: str) -> tuple[list[Document], list[tuple[str, str]], list[str]]:
    """What ``ref`` names: matching archived documents (first archived first), identifiers, URLs.

    ``ref`` is a document id, a SHA-256 prefix (8+ hex digits), an identifier
    (UN symbol, index number, DOI, ISBN; "UN Doc." style prefixes allowed) or
    a URL. Raises :class:`DocumentNotFound` when it is none of these.
    """
    text = (ref or "").strip()
    numeric = text.isdigit() and len(text) < 12
    docs: list[Document] = []
    idents: list[tuple[str, str]] = []
    urls: list[str] = []
    if numeric:
        doc = session.get(Document, int(text))
        if doc is not None:
            docs = [doc]
    if not docs and len(text) >= 8 and re.fullmatch(r"[0-9a-fA-F]+", text):
        found = list(session.scalars(select(Document).where(Document.sha256.startswith(text.lower())).limit(2)))
        if len(found) == 1:
            docs = found
    if not docs:
        ident = None if _looks_like_url(text) else (normalize_identifier(text) or normalize_identifier(text.upper()))
        if ident is not None:
            idents = [(ident.scheme, ident.value)]
            wanted = (ident.scheme, identifier_key(ident.scheme, ident.value))
            candidates = _stored(session, docs_by_identifiers(session, idents))
            keys = load_doc_keys(session, [d.id for d in candidates])
            docs = [d for d in candidates if wanted in keys[d.id].idents]
        elif url_key(text) is not None and not numeric:
            urls = [text]
            wanted_url = url_key(text)
            candidates = _stored(session, docs_by_urls(session, urls))
            keys = load_doc_keys(session, [d.id for d in candidates])
            docs = [d for d in candidates if wanted_url in keys[d.id].urls]
        else:
            ids = set(session.scalars(select(DocumentIdentifier.document_id)
                                      .where(DocumentIdentifier.value == text)))
            docs = _stored(session, ids)
            if not docs:
                what = f"no document with id {text}" if numeric else \
                    f"{text!r} is not a document id, hash, identifier or URL in the archive"
                raise DocumentNotFound(what)
    for doc in docs[:1]:
        idents += [(i.scheme, i.value) for i in session.scalars(
            select(DocumentIdentifier).where(DocumentIdentifier.document_id == doc.id))]
        urls += document_raw_urls(session, doc.id)
    return docs, idents, urls


def _stored(session: Session, ids: Iterable[int]) -> list[Document]:
    ids = sorted(set(ids))
    if not ids:
        return []
    return list(session.scalars(select(Document).where(Document.id.in_(ids), Document.status == "stored")
                                .order_by(Document.id)))


def find_citing(session: Session, ref: str) -> dict[str, Any]:
    """``archivist cites``: the target named by ``ref`` and every note that cites it.

    Citations are found through resolved links (``via: link``) and, so that
    documents we do not hold can be asked about too, directly through citation
    identifiers (``via: identifier``) and citation URLs (``via: url``).
    """
    docs, idents, urls = resolve_ref(session, ref)
    target = docs[0] if docs else None
    via: dict[int, str] = {}
    if target is not None:
        for cid in session.scalars(select(StoredCitation.id).where(StoredCitation.cited_document_id == target.id)):
            via[cid] = "link"
    for cid in citations_by_identifiers(session, idents):
        via.setdefault(cid, "identifier")
    for cid in citations_by_urls(session, urls):
        via.setdefault(cid, "url")
    exclude_docs = {d.id for d in docs}
    exclude_works = {target.work_id} if target is not None else set()
    citing = _entries(session, via, exclude_docs, exclude_works)
    return {
        "query": ref,
        "target": _document_dict(target, session) if target is not None else None,
        "also_archived": [_document_dict(d, session) for d in docs[1:]],
        "identifiers": [{"scheme": s, "value": v} for s, v in dict.fromkeys(idents)],
        "urls": list(dict.fromkeys(urls)),
        "citing": citing,
    }
