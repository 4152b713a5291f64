"""Documents as JSON records (the CLI contract) and the record hash.

The record hash covers everything an extraction wrote about a document
(metadata, text hash, identifiers, footnotes and citations), not its place in
a work, which grouping events cover. ``verify`` recomputes it and compares it
with the hash in the event that wrote the record.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import inspect

from storage.events import canonical_json, iso
from storage.models import StoredCitation, Document, StoredFootnote


def _citation_dict(cit: StoredCitation) -> dict[str, Any]:
    return {
        "text": cit.text,
        "kind": cit.kind,
        "author": cit.author,
        "title": cit.title,
        "date": cit.date,
        "urls": list(cit.urls or []),
        "identifiers": [{"scheme": i.scheme, "value": i.value} for i in cit.identifiers],
        "pinpoint": cit.pinpoint,
        "refers_to": cit.refers_to,
        "cited_document_id": cit.cited_document_id,
    } | {name: getattr(cit, name) for name in LABELLED_FIELDS}


LABELLED_FIELDS = ("container", "publisher", "place", "volume", "issue", "pages", "confidence")
"""A citation's fields from the labeller (migration 0009); the record hash covers them where they say
something (a field set, a confidence below 1), so records written before them keep their hash."""


def _hashed_citation(cit: StoredCitation) -> dict[str, Any]:
    data = {k: v for k, v in _citation_dict(cit).items() if k != "cited_document_id"}
    for name in LABELLED_FIELDS:
        if data[name] is None or (name == "confidence" and data[name] == 1.0):
            del data[name]
    return data


def footnote_dict(note: StoredFootnote) -> dict[str, Any]:
    """One footnote as in ``show --json``."""
    return {
        "label": note.label,
        "text": note.text,
        "page": note.page,
        "context": note.context or "",
        "confidence": note.confidence,
        "markers": [{"position": m.position, "page": m.page, "context": m.context or ""} for m in note.markers],
        "citations": [_citation_dict(c) for c in note.citations],
    }


# What :func:`document_summary` (and a listing line) reads: a listing loads these, not the text or metadata.
SUMMARY_COLUMNS = (Document.id, Document.status, Document.error, Document.source, Document.sha256, Document.size,
                   Document.media_type, Document.format, Document.title, Document.date, Document.file_date,
                   Document.authors, Document.language, Document.work_id, Document.version, Document.relation,
                   Document.relation_reason, Document.obtained_at, Document.ingested_at, Document.part_of_id)


def document_summary(doc: Document) -> dict[str, Any]:
    """The record fields every listing shows (``documents --json``)."""
    return {
        "id": doc.id,
        "status": doc.status,
        "error": doc.error,
        "source": doc.source,
        "sha256": doc.sha256,
        "size": doc.size,
        "media_type": doc.media_type,
        "format": doc.format,
        "title": doc.title,
        "date": doc.date,
        "file_date": doc.file_date,
        "authors": list(doc.authors or []),
        "language": doc.language,
        "identifiers": [{"scheme": i.scheme, "value": i.value} for i in doc.identifiers],
        "work_id": doc.work_id,
        "version": doc.version,
        "relation": doc.relation,
        "relation_reason": doc.relation_reason,
        "obtained_at": iso(doc.obtained_at),
        "ingested_at": iso(doc.ingested_at),
        "part_of": doc.part_of_id,
    }


def _loaded(doc: Document, name: str) -> bool:
    """Whether the relationship ``name`` was loaded with ``doc`` (only ``Archive.document`` loads parts)."""
    return name not in inspect(doc).unloaded


def _brief(doc: Document) -> dict[str, Any]:
    return {"id": doc.id, "source": doc.source, "status": doc.status, "format": doc.format,
            "media_type": doc.media_type, "title": doc.title, "date": doc.date}


def document_detail(doc: Document) -> dict[str, Any]:
    """The full record (``show --json``): summary plus text and footnotes.

    Loaded by ``Archive.document``, it also lists ``parts`` (the documents
    found inside this one: attachments, members) and ``thread`` (the other
    archived e-mails of its thread, by ``email-thread`` identifier).
    """
    data = document_summary(doc)
    data.update(
        {
            "text": doc.text,
            "text_sha256": doc.text_sha256,
            "obtained_by": doc.obtained_by,
            "warnings": list(doc.warnings or []),
            "metadata": doc.metadata_json or {},
            "related_document_id": doc.related_document_id,
            "similarity": doc.similarity,
            "differences": doc.differences,
            "footnotes": [footnote_dict(n) for n in doc.footnotes],
        }
    )
    if _loaded(doc, "parts"):
        data["parts"] = [_brief(p) for p in doc.parts]
    if _loaded(doc, "thread_documents") and doc.format == "email":
        data["thread"] = [_brief(d) for d in doc.thread_documents if d.id != doc.id]
    return data


def record_payload(doc: Document) -> dict[str, Any]:
    """What the record hash covers.

    ``file_date`` is covered when it is known; records written before it
    existed (``None``) keep the hash they were written with.
    """
    payload = {
        "sha256": doc.sha256,
        "size": doc.size,
        "media_type": doc.media_type,
        "format": doc.format,
        "source": doc.source,
        "status": doc.status,
        "error": doc.error,
        "text_sha256": doc.text_sha256,
        "title": doc.title,
        "date": doc.date,
        "authors": list(doc.authors or []),
        "language": doc.language,
        "identifiers": sorted([i.scheme, i.value] for i in doc.identifiers),
        "metadata": doc.metadata_json or {},
        "warnings": list(doc.warnings or []),
        "footnotes": [
            {k: v for k, v in footnote_dict(n).items() if k != "citations"}
            | {"citations": [_hashed_citation(c) for c in n.citations]}
            for n in doc.footnotes
        ],
    }
    if doc.file_date is not None:
        payload["file_date"] = doc.file_date
    return payload


def record_hash(doc: Document) -> str:
    """SHA-256 of the canonical JSON of :func:`record_payload`."""
    return hashlib.sha256(canonical_json(record_payload(doc)).encode("utf-8")).hexdigest()


def field_hashes(doc: Document) -> dict[str, str]:
    """A short hash per record field, kept in the event so ``verify`` can name what changed."""
    return {
        key: hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()[:16]
        for key, value in record_payload(doc).items()
    }
