"""Candidate lookups of the citation graph: the SQL behind linking and ``archivist cites``.

Loads match keys (``storage.citations.keys``) and finds which documents or
citations could match, by identifier, URL or title. Read-only: linking
(``storage.citations.linking``) and the read queries
(``storage.citations.queries``) both build on it.

Scaling: identifier lookups use the ``(scheme, value)`` indexes of both
identifier tables, URL lookups the index on ``fetches.source`` plus equality
scans of ``fetches.final_url`` and the canonical URL. The reverse URL and
title lookups and the forward title lookup scan (``LIKE`` over
``citations.urls`` / ``citations.title``, titles of stored documents in
batches of :data:`TITLE_BATCH`): linear in the archive per ingested document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import ColumnElement, Text, cast, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from extractors.text.identifiers import identifier_key, identifier_variants
from extractors.text.urls import HAS_SCHEME_RE, url_key, url_variants

from storage.citations.keys import (
    TITLE_MIN_SCORE,
    TITLE_MIN_WORDS,
    CitKeys,
    DocKeys,
    date_parts,
    dates_compatible,
    title_key,
    titles_match,
)
from storage.models import CitationIdentifier, Document, DocumentIdentifier, Fetch, StoredCitation, StoredFootnote

TITLE_BATCH = 1000
CHUNK = 400  # values per IN (...) list


def chunks(values: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _canonical_url_col() -> ColumnElement[str]:
    return Document.metadata_json["canonical_url"].as_string()


def _url_core(url: str) -> str | None:
    """Host and path of ``url`` as printed (for a ``LIKE`` prefilter), ASCII only."""
    key = url_key(url)
    if key is None:
        return None
    raw = url.strip()
    raw = HAS_SCHEME_RE.sub("", raw)
    raw = re.split(r"[?#]", raw, maxsplit=1)[0].rstrip("/")
    raw = re.sub(r"^www\d?\.", "", raw, flags=re.IGNORECASE)
    core = ""
    for ch in raw:
        if ord(ch) > 127 or ch in "\"\\":
            break
        core += ch
    return core if len(core) >= 8 else None


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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
        for u in urls or []:
            k = url_key(u)
            if k:
                keys.urls.add(k)
                keys.raw_urls.append(u)
        out[cid] = keys
    for chunk in chunks(out):
        for cid, scheme, value in session.execute(
            select(CitationIdentifier.citation_id, CitationIdentifier.scheme, CitationIdentifier.value)
            .where(CitationIdentifier.citation_id.in_(chunk))
        ):
            key = identifier_key(scheme, value)
            if key:
                if scheme == "url":
                    out[cid].urls.add(key)
                    out[cid].raw_urls.append(value)
                else:
                    out[cid].idents.add((scheme, key))
                    out[cid].raw_idents.append((scheme, value))
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
    """Citations with one of ``urls`` (normalized), found by a ``LIKE`` scan of ``citations.urls``."""
    keys = {k for k in (url_key(u) for u in urls) if k}
    cores = {c for c in (_url_core(u) for u in urls) if c}
    if not keys or not cores:
        return set()
    text = cast(StoredCitation.urls, Text)
    clause = or_(*[text.ilike(f"%{_like_escape(c)}%", escape="\\") for c in sorted(cores)])
    found: set[int] = set()
    for cid, cit_urls in session.execute(select(StoredCitation.id, StoredCitation.urls).where(clause)):
        if any(url_key(u) in keys for u in cit_urls or []):
            found.add(cid)
    return found


def citations_by_title(session: Session, title: str | None, date: str | None) -> set[int]:
    """Citations whose title matches ``title`` (and date ``date``), prefiltered by its longest words."""
    key = title_key(title)
    words = key.split()
    if len(words) < TITLE_MIN_WORDS:
        return set()
    longest = sorted({w for w in words if len(w) >= 4}, key=lambda w: (-len(w), w))[:2]
    if not longest:
        return set()
    clause = or_(*[StoredCitation.title.ilike(f"%{_like_escape(w)}%", escape="\\") for w in longest])
    where = [StoredCitation.title.is_not(None), clause]
    year = date_parts(date)[:1]
    if year:
        where.append(or_(StoredCitation.date.is_(None), StoredCitation.date.like(f"{year[0]:04d}%")))
    found: set[int] = set()
    last = 0
    while True:
        rows = session.execute(select(StoredCitation.id, StoredCitation.title, StoredCitation.date)
                               .where(*where, StoredCitation.id > last)
                               .order_by(StoredCitation.id).limit(TITLE_BATCH)).all()
        if not rows:
            break
        last = rows[-1][0]
        for cid, ctitle, cdate in rows:
            if dates_compatible(cdate, date) and titles_match(title_key(ctitle), key):
                found.add(cid)
    return found


def docs_by_titles(session: Session, cits: list[CitKeys], exclude: int) -> dict[int, set[int]]:
    """For each citation (with a title), the stored documents whose titles match: citation id -> doc ids."""
    by_title: dict[str, list[CitKeys]] = {}
    for c in cits:
        if len(c.title.split()) >= TITLE_MIN_WORDS:
            by_title.setdefault(c.title, []).append(c)
    out: dict[int, set[int]] = {}
    if not by_title:
        return out
    choices = list(by_title)
    last = 0
    while True:
        rows = session.execute(
            select(Document.id, Document.title, Document.date)
            .where(Document.status == "stored", Document.title.is_not(None), Document.id > last,
                   Document.id != exclude)
            .order_by(Document.id).limit(TITLE_BATCH)
        ).all()
        if not rows:
            break
        last = rows[-1][0]
        for did, dtitle, ddate in rows:
            dkey = title_key(dtitle)
            if len(dkey.split()) < TITLE_MIN_WORDS:
                continue
            for ctitle, _score, _ in process.extract(dkey, choices, scorer=fuzz.token_set_ratio,
                                                     score_cutoff=TITLE_MIN_SCORE, limit=None):
                if not titles_match(ctitle, dkey):
                    continue
                for c in by_title[ctitle]:
                    if dates_compatible(c.date, ddate):
                        out.setdefault(c.id, set()).add(did)
    return out
