"""The citation graph: citations resolved to archived documents.

A citation (one cited source inside a footnote) is *linked* to an archived
document by setting ``StoredCitation.cited_document_id``. The match rules
(identifier, URL, title; the strongest wins, then the first archived) are in
``storage.citations.keys``; the lookups that find candidates in
``storage.citations.lookups``; the read queries (``cited_by``, ``cites``) in
``storage.citations.queries``.

:func:`link_document` runs inside the transaction that stores a document. It
resolves the new document's citations (forward) and re-resolves citations
already in the archive that the new document matches (reverse), so the result
does not depend on which of two documents arrives first. Writers are
serialized (chain-head lock), so concurrent ingests see each other.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from extractors.text.identifiers import identifier_key
from extractors.text.urls import url_key

from storage.citations.keys import CitKeys, DocKeys, best_match, match_strength, title_key
from storage.citations.lookups import (
    chunks,
    cit_keys,
    citations_by_identifiers,
    citations_by_title,
    citations_by_urls,
    docs_by_identifiers,
    docs_by_titles,
    docs_by_urls,
    load_doc_keys,
)
from storage.models import Document, Fetch, StoredCitation, StoredFootnote

log = logging.getLogger(__name__)


def resolve_citations(session: Session, cits: dict[int, CitKeys]) -> dict[int, tuple[int, int] | None]:
    """Best archived document for each citation: citation id -> (strength, document id) or None."""
    if not cits:
        return {}
    candidates: dict[int, set[int]] = {cid: set() for cid in cits}
    keys: dict[int, DocKeys] = {}

    def add(hits: set[int], attr: str) -> None:
        missing = hits - keys.keys()
        if missing:
            keys.update(load_doc_keys(session, missing))
        index: dict[Any, set[int]] = {}
        for did in hits:
            if did in keys:
                for value in getattr(keys[did], attr):
                    index.setdefault(value, set()).add(did)
        for cid, c in cits.items():
            for value in getattr(c, attr):
                candidates[cid] |= index.get(value, set())

    # identifiers: one indexed lookup for all of them; then URLs
    pairs = {p for c in cits.values() for p in c.raw_idents}
    if pairs:
        add(docs_by_identifiers(session, pairs), "idents")
    urls = {u for c in cits.values() for u in c.raw_urls}
    if urls:
        add(docs_by_urls(session, urls), "urls")
    best = {cid: best_match(c, [keys[d] for d in candidates[cid] if d in keys]) for cid, c in cits.items()}
    # titles, only for citations that nothing stronger resolves
    loose = [c for cid, c in cits.items() if best[cid] is None and c.title]
    if loose:
        exclude = loose[0].document_id if len({c.document_id for c in loose}) == 1 else 0
        by_title = docs_by_titles(session, loose, exclude)
        every = {d for ds in by_title.values() for d in ds} - keys.keys()
        if every:
            keys.update(load_doc_keys(session, every))
        for cid, dids in by_title.items():
            best[cid] = best_match(cits[cid], [keys[d] for d in dids if d in keys])
    return best


def _set_links(session: Session, links: dict[int, int | None]) -> int:
    changed = 0
    for chunk in chunks(links):
        for cit in session.scalars(select(StoredCitation).where(StoredCitation.id.in_(chunk))):
            target = links[cit.id]
            if cit.cited_document_id != target:
                cit.cited_document_id = target
                changed += 1
    return changed


def link_forward(session: Session, doc: Document, loaded: bool = False) -> int:
    """Resolve ``doc``'s own citations; return how many links changed. ``loaded``: ``doc.footnotes``
    holds the rows just written (a document stored in this transaction), read from them, not back."""
    cits = loaded_cit_keys(doc) if loaded else cit_keys(session, StoredFootnote.document_id == doc.id)
    resolved = resolve_citations(session, cits)
    return _set_links(session, {cid: (best[1] if best else None) for cid, best in resolved.items()})


def loaded_cit_keys(doc: Document) -> dict[int, CitKeys]:
    """:func:`~storage.citations.lookups.cit_keys` of ``doc``'s citations, from its loaded footnotes."""
    out: dict[int, CitKeys] = {}
    for note in doc.footnotes:
        for cit in note.citations:
            keys = CitKeys(cit.id, doc.id, doc.work_id, cit.cited_document_id, title_key(cit.title), cit.date)
            keys.add_urls(cit.urls)
            for ident in cit.identifiers:
                keys.add_identifier(ident.scheme, ident.value)
            out[cit.id] = keys
    return out


def own_keys(session: Session, doc: Document, fetches: list[tuple[str, str | None]] | None = None
             ) -> tuple[DocKeys, list[tuple[str, str]], list[str]]:
    """``doc``'s match keys, raw identifiers and raw URLs, from the loaded ``doc`` and one query on its
    fetches: what ``load_doc_keys`` and ``document_raw_urls`` would read back of a stored document,
    without reading back the row this transaction just wrote (six queries fewer per document).
    ``fetches``: its fetches' ``(source, final URL)`` when the caller knows them all (a new document:
    the one fetch it just added), so not even that query is needed."""
    keys = DocKeys(doc.id, doc.work_id, title_key(doc.title), doc.date)
    canonical = (doc.metadata_json or {}).get("canonical_url")
    raw: list[str | None] = [doc.source, canonical if isinstance(canonical, str) else None]
    if fetches is None:
        fetches = list(session.execute(select(Fetch.source, Fetch.final_url).where(Fetch.document_id == doc.id)))
    for source, final in fetches:
        raw += [source, final]
    urls: set[str] = set()
    for u in raw:
        k = url_key(u, lenient=False)
        if k and u:
            keys.urls.add(k)
            urls.add(u)
    idents: list[tuple[str, str]] = []
    for ident in doc.identifiers:
        idents.append((ident.scheme, ident.value))
        key = identifier_key(ident.scheme, ident.value)
        if ident.scheme == "url":
            urls.add(ident.value)
            if key:
                keys.urls.add(key)
        elif key:
            keys.idents.add((ident.scheme, key))
    return keys, idents, sorted(urls)


def link_reverse(session: Session, doc: Document, fetches: list[tuple[str, str | None]] | None = None) -> int:
    """Point citations already archived at ``doc`` where it is their best match (``fetches``: see :func:`own_keys`)."""
    if doc.status != "stored" or doc.id is None:
        return 0
    keys, raw_idents, urls = own_keys(session, doc, fetches)
    found = citations_by_identifiers(session, raw_idents)
    found |= citations_by_urls(session, urls)
    found |= citations_by_title(session, doc.title, doc.date)
    if not found:
        return 0
    cits: dict[int, CitKeys] = {}
    for chunk in chunks(found):
        cits.update(cit_keys(session, StoredCitation.id.in_(chunk)))
    matched = {cid: c for cid, c in cits.items() if match_strength(c, keys)}
    others = {c.current for c in matched.values() if c.current and c.current != doc.id}
    old = load_doc_keys(session, others) if others else {}
    links: dict[int, int | None] = {}
    for cid, c in matched.items():
        if c.current == doc.id:
            continue
        s = match_strength(c, keys)
        held = old.get(c.current) if c.current else None
        s_old = match_strength(c, held) if held else 0
        if not s_old or (s, -doc.id) > (s_old, -held.id):  # type: ignore[union-attr]
            links[cid] = doc.id
    return _set_links(session, links)


def _archive_has_citations(session: Session, adding: bool) -> bool:
    """Whether any citation is archived (remembered for the transaction; ``adding``: this document brings some)."""
    root = session.get_transaction()
    held = session.info.get("has_citations")
    if held is not None and held[0] is root and (held[1] or not adding):
        return held[1]
    found = adding or session.scalar(select(StoredCitation.id).limit(1)) is not None
    session.info["has_citations"] = (root, found)
    return found


def link_document(session: Session, doc: Document, has_citations: bool = True,
                  new_fetch: tuple[str, str | None] | None = None) -> None:
    """Resolve ``doc``'s citations to archived documents, and others' citations to ``doc``.

    Runs in the caller's transaction, inside a savepoint: a failure here is
    logged and leaves the links as they were, it never loses the document.
    ``has_citations=False`` (the caller knows the document has none) skips
    the forward look-ups; the reverse ones are skipped while the archive
    holds no citation at all. ``new_fetch``: ``doc`` was stored in this
    transaction with this one fetch ``(source, final URL)``; its notes and
    citations are then the loaded rows, and neither they nor its fetches are
    read back (see :func:`own_keys`).
    """
    if doc.status != "stored" or doc.id is None:
        return
    if not _archive_has_citations(session, has_citations):
        return
    try:
        with session.begin_nested():
            fresh = new_fetch is not None
            forward = link_forward(session, doc, loaded=fresh) if has_citations else 0
            reverse = link_reverse(session, doc, [new_fetch] if fresh else None)
        log.debug("document %s: %d citations linked, %d citations now point at it", doc.id, forward, reverse)
    except Exception:
        log.warning("citation linking failed for document %s", doc.id, exc_info=True)


def relink_all(session: Session) -> int:
    """Re-resolve every citation in the archive (after a change to the matching rules)."""
    changed = 0
    ids = list(session.scalars(select(Document.id).where(Document.status == "stored").order_by(Document.id)))
    for did in ids:
        cits = cit_keys(session, StoredFootnote.document_id == did)
        resolved = resolve_citations(session, cits)
        changed += _set_links(session, {cid: (b[1] if b else None) for cid, b in resolved.items()})
    session.flush()
    return changed
