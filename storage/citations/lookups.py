"""Candidate lookups of the citation graph: the SQL behind linking and ``archivist cites``.

Loads match keys (``storage.citations.keys``) and finds which documents or
citations could match, by identifier, URL or title. Read-only: linking
(``storage.citations.linking``) and the read queries
(``storage.citations.queries``) both build on it.

Scaling: identifier lookups use the ``(scheme, value)`` indexes of both
identifier tables, URL lookups the index on ``fetches.source`` plus equality
scans of ``fetches.final_url`` and the canonical URL. The title look-ups
(both ways) and the reverse URL look-up go through the word and URL-key
indexes of ``storage.citations.match_index``.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from extractors.text.identifiers import identifier_key, identifier_variants
from extractors.text.urls import url_key, url_variants

from storage.citations import match_index
from storage.citations.match_index import chunks
from storage.citations.keys import (
    TITLE_MIN_WORDS,
    CitKeys,
    DocKeys,
    dates_compatible,
    title_key,
    titles_match,
)
from storage.models import CitationIdentifier, Document, DocumentIdentifier, Fetch, StoredCitation, StoredFootnote

def _canonical_url_col() -> ColumnElement[str]:
    return Document.metadata_json["canonical_url"].as_string()


def load_doc_keys(session: Session, ids: Iterable[int]) -> dict[int, DocKeys]:
    """Match keys of the *stored* documents among ``ids``."""
    out: dict[int, DocKeys] = {}
    for chunk in chunks(set(ids)):
        for did, work_id, title, dt, source, canonical in session.execute(
            select(Document.id, Document.work_id, Document.title, Document.date, Document.source,
                   _canonical_url_col()).where(Document.id.in_(chunk), Document.status == "stored")
        ):
            keys = DocKeys(did, work_id, title_key(title), dt)
            for u in (url_key(source, lenient=False), url_key(canonical, lenient=False)):
                if u:
                    keys.urls.add(u)
            out[did] = keys
        present = [i for i in chunk if i in out]
        if not present:
            continue
        for did, scheme, value in session.execute(
            select(DocumentIdentifier.document_id, DocumentIdentifier.scheme, DocumentIdentifier.value)
            .where(DocumentIdentifier.document_id.in_(present))
        ):
            key = identifier_key(scheme, value)
            if key:
                if scheme == "url":
                    out[did].urls.add(key)
                else:
                    out[did].idents.add((scheme, key))
        for did, source, final in session.execute(
            select(Fetch.document_id, Fetch.source, Fetch.final_url).where(Fetch.document_id.in_(present))
        ):
            for u in (url_key(source, lenient=False), url_key(final, lenient=False)):
                if u:
                    out[did].urls.add(u)
    return out


def cit_keys(session: Session, where: ColumnElement[bool]) -> dict[int, CitKeys]:
    """Match keys of the citations selected by ``where`` (a clause on StoredCitation/StoredFootnote)."""
    out: dict[int, CitKeys] = {}
    rows = session.execute(
        select(StoredCitation.id, StoredFootnote.document_id, Document.work_id, StoredCitation.cited_document_id,
               StoredCitation.title, StoredCitation.date, StoredCitation.urls)
        .join(StoredFootnote, StoredFootnote.id == StoredCitation.footnote_id)
        .join(Document, Document.id == StoredFootnote.document_id)
        .where(where)
    )
    for cid, did, work_id, current, title, dt, urls in rows:
        keys = CitKeys(cid, did, work_id, current, title_key(title), dt)
        keys.add_urls(urls)
        out[cid] = keys
    for chunk in chunks(out):
        for cid, scheme, value in session.execute(
            select(CitationIdentifier.citation_id, CitationIdentifier.scheme, CitationIdentifier.value)
            .where(CitationIdentifier.citation_id.in_(chunk))
        ):
            out[cid].add_identifier(scheme, value)
    return out


def document_raw_urls(session: Session, document_id: int) -> list[str]:
    urls: list[str] = []
    row = session.execute(select(Document.source, _canonical_url_col()).where(Document.id == document_id)).first()
    if row:
        urls += [u for u in row if u and url_key(u, lenient=False)]
    for source, final in session.execute(select(Fetch.source, Fetch.final_url).where(Fetch.document_id == document_id)):
        urls += [u for u in (source, final) if u and url_key(u, lenient=False)]
    urls += [v for (v,) in session.execute(select(DocumentIdentifier.value).where(
        DocumentIdentifier.document_id == document_id, DocumentIdentifier.scheme == "url"))]
    return sorted(set(urls))


# ---------------------------------------------------------------- candidate lookups


def _ids_by_identifiers(session: Session, idents: Iterable[tuple[str, str]],
                        table: type[DocumentIdentifier] | type[CitationIdentifier],
                        id_col: InstrumentedAttribute[int]) -> set[int]:
    """Row ids of ``table`` holding any of ``idents`` (all spelling variants), via its (scheme, value) index."""
    by_scheme: dict[str, set[str]] = {}
    for scheme, value in idents:
        if scheme == "url":
            continue
        by_scheme.setdefault(scheme, set()).update(identifier_variants(scheme, value))
    found: set[int] = set()
    for scheme, values in by_scheme.items():
        for chunk in chunks(values):
            found.update(session.scalars(select(id_col).where(table.scheme == scheme, table.value.in_(chunk))))
    return found


def docs_by_identifiers(session: Session, idents: Iterable[tuple[str, str]]) -> set[int]:
    """Documents holding any of ``idents`` (raw scheme, value pairs)."""
    return _ids_by_identifiers(session, idents, DocumentIdentifier, DocumentIdentifier.document_id)


def docs_by_urls(session: Session, urls: Iterable[str]) -> set[int]:
    """Documents whose source, final URL or canonical URL is one of ``urls`` (spelling variants)."""
    variants: set[str] = set()
    for u in urls:
        variants |= url_variants(u)
    found: set[int] = set()
    for chunk in chunks(variants):
        found.update(i for i in session.scalars(select(Fetch.document_id).where(Fetch.source.in_(chunk))) if i)
        found.update(i for i in session.scalars(select(Fetch.document_id).where(Fetch.final_url.in_(chunk))) if i)
        found.update(session.scalars(select(Document.id).where(Document.source.in_(chunk))))
        found.update(session.scalars(select(Document.id).where(_canonical_url_col().in_(chunk))))
    return found


def citations_by_identifiers(session: Session, idents: Iterable[tuple[str, str]]) -> set[int]:
    """Citations carrying any of ``idents``."""
    return _ids_by_identifiers(session, idents, CitationIdentifier, CitationIdentifier.citation_id)


def citations_by_urls(session: Session, urls: Iterable[str]) -> set[int]:
    """Citations with one of ``urls`` (compared by ``url_key``), through the ``citation_keys`` index."""
    return match_index.citations_for_urls(session.connection(), urls)


def citations_by_title(session: Session, title: str | None, date: str | None) -> set[int]:
    """Citations whose title matches ``title`` (and date ``date``); candidates from the title-word index."""
    key = title_key(title)
    ids = match_index.citations_for_title(session.connection(), title)
    found: set[int] = set()
    for chunk in chunks(ids):
        for cid, ctitle, cdate in session.execute(select(StoredCitation.id, StoredCitation.title, StoredCitation.date)
                                                  .where(StoredCitation.id.in_(chunk))):
            if dates_compatible(cdate, date) and titles_match(title_key(ctitle), key):
                found.add(cid)
    return found


def docs_by_titles(session: Session, cits: list[CitKeys], exclude: int) -> dict[int, set[int]]:
    """For each citation (with a title), the stored documents whose titles match: citation id -> doc ids.

    Candidates come from the title-word index (``storage.citations.match_index``); each is then held
    to :func:`titles_match` and the date rule.
    """
    titles = {c.id: c.title for c in cits if len(c.title.split()) >= TITLE_MIN_WORDS}
    candidates = match_index.documents_for_titles(session.connection(), titles)
    wanted = {d for ds in candidates.values() for d in ds} - {exclude}
    docs: dict[int, tuple[str, str | None]] = {}
    for chunk in chunks(wanted):
        for did, dtitle, ddate in session.execute(
                select(Document.id, Document.title, Document.date)
                .where(Document.id.in_(chunk), Document.status == "stored", Document.title.is_not(None))):
            docs[did] = (title_key(dtitle), ddate)
    by_id = {c.id: c for c in cits}
    out: dict[int, set[int]] = {}
    for cid, dids in candidates.items():
        c = by_id[cid]
        for did in dids:
            held = docs.get(did)
            if held is not None and titles_match(c.title, held[0]) and dates_compatible(c.date, held[1]):
                out.setdefault(cid, set()).add(did)
    return out
