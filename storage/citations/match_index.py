"""Indexed candidate look-ups of the citation graph: title words and URL keys, kept beside the rows.

Linking a document used to scan every stored title (forward) and every
citation's title and URLs (reverse) with ``LIKE``: linear in the archive per
document, quadratic over a collection. These two tables make each look-up a
few indexed queries:

* ``document_title_words``: the words (4+ characters) of a stored
  document's title key (:func:`storage.citations.keys.title_key`), each
  flagged when it is one of the title's two longest;
* ``citation_keys``: a citation's title words (``title``, flagged the same
  way) and the :func:`~extractors.text.urls.url_key` of each of its URLs
  (``url``).

A citation and a document are title *candidates* when they share a word that
is one of the two longest of either side. The rule is symmetric, so a link
found when the citation arrives first is the one found when the document
does. Candidates are only a prefilter: the match itself is decided by
:func:`storage.citations.keys.titles_match` and the date rule, and a URL
candidate by equal URL keys, exactly as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Connection, TextClause, bindparam, delete, insert, select
from sqlalchemy import text as sql

from extractors.text.urls import url_key

from storage.citations.keys import TITLE_MIN_WORDS, title_key
from storage.models import CitationKey, DocumentTitleWord

WORD_MIN = 4  # shorter words (articles, "of", "and") are never a prefilter
LONGEST = 2
WORD_MAX = 128
URL_MAX = 255
CHUNK = 400  # values per IN (...) list


def title_words(title: str | None) -> list[tuple[str, bool]]:
    """``(word, is one of the two longest)`` for the indexed words of ``title``; none for a title too
    short to match (:data:`~storage.citations.keys.TITLE_MIN_WORDS`)."""
    words = title_key(title).split()
    if len(words) < TITLE_MIN_WORDS:
        return []
    kept = sorted({w[:WORD_MAX] for w in words if len(w) >= WORD_MIN})
    longest = set(sorted(kept, key=lambda w: (-len(w), w))[:LONGEST])
    return [(w, w in longest) for w in kept]


def index_document(conn: Connection, document_id: int, title: str | None, fresh: bool = False) -> None:
    """Write ``document_id``'s title words (replacing the old ones unless ``fresh``: a new document)."""
    if not fresh:
        conn.execute(delete(DocumentTitleWord).where(DocumentTitleWord.document_id == document_id))
    rows = [{"document_id": document_id, "word": w, "longest": long} for w, long in title_words(title)]
    if rows:
        conn.execute(insert(DocumentTitleWord), rows)


def citation_rows(citation_id: int, title: str | None, urls: Iterable[str] | None) -> list[dict[str, Any]]:
    """The ``citation_keys`` rows of one citation."""
    rows = [{"citation_id": citation_id, "kind": "title", "key": w, "longest": long} for w, long in title_words(title)]
    seen: set[str] = set()
    for u in urls or []:
        k = url_key(u) if isinstance(u, str) else None
        if k and k[:URL_MAX] not in seen:
            seen.add(k[:URL_MAX])
            rows.append({"citation_id": citation_id, "kind": "url", "key": k[:URL_MAX], "longest": False})
    return rows


def index_citations(conn: Connection, citations: Iterable[tuple[int, str | None, Iterable[str] | None]]) -> None:
    """Write the keys of new citations: ``(id, title, urls)`` each."""
    rows = [r for cid, title, urls in citations for r in citation_rows(cid, title, urls)]
    for i in range(0, len(rows), 2000):
        conn.execute(insert(CitationKey), rows[i:i + 2000])


def _word_queries(table: str, id_col: str, word_col: str, where: str = "") -> tuple[TextClause, TextClause]:
    """The two look-ups of :func:`_prefiltered` on one table, written out once (they run for every
    document stored; built from the ORM each time they cost several times SQLite's work)."""
    head = f"SELECT {id_col}, {word_col}, longest FROM {table} WHERE {where}{word_col} IN :words"
    return (sql(head).bindparams(bindparam("words", expanding=True)),
            sql(head + " AND longest = :yes").bindparams(bindparam("words", expanding=True)))


_DOCUMENT_WORDS = _word_queries("document_title_words", "document_id", "word")
_CITATION_WORDS = _word_queries("citation_keys", "citation_id", '"key"', "kind = 'title' AND ")
_CITATION_URLS = sql("SELECT citation_id FROM citation_keys WHERE kind = 'url' AND \"key\" IN :keys"
                     ).bindparams(bindparam("keys", expanding=True))


def _prefiltered(conn: Connection, queries: tuple[TextClause, TextClause], words: set[str],
                 longest: set[str]) -> list[Any]:
    """``(id, word, longest)`` rows whose word is in ``longest``, or is flagged longest and in ``words``:
    two indexed queries (an ``OR`` of the two would scan)."""
    rows: list[Any] = []
    for chunk in chunks(longest):
        rows += conn.execute(queries[0], {"words": chunk}).all()
    for chunk in chunks(words - longest):
        rows += conn.execute(queries[1], {"words": chunk, "yes": True}).all()
    return rows


def _shares(words: set[str], longest: set[str], hits: set[tuple[str, bool]]) -> bool:
    """Whether one side's (``words``, ``longest``) and the other's ``hits`` meet by the candidate rule."""
    return any(w in longest or (long and w in words) for w, long in hits)


def documents_for_titles(conn: Connection, titles: dict[int, str]) -> dict[int, set[int]]:
    """For each ``citation id -> title``, the documents whose title words make them candidates."""
    sides = {cid: title_words(t) for cid, t in titles.items()}
    sides = {cid: ws for cid, ws in sides.items() if ws}
    every = {w for ws in sides.values() for w, _ in ws}
    longest = {w for ws in sides.values() for w, long in ws if long}
    hits: dict[int, set[tuple[str, bool]]] = {}
    for did, word, long in _prefiltered(conn, _DOCUMENT_WORDS, every, longest):
        hits.setdefault(did, set()).add((word, bool(long)))
    out: dict[int, set[int]] = {}
    for cid, ws in sides.items():
        words = {w for w, _ in ws}
        long_words = {w for w, long in ws if long}
        found = {did for did, h in hits.items() if _shares(words, long_words, h)}
        if found:
            out[cid] = found
    return out


def citations_for_title(conn: Connection, title: str | None) -> set[int]:
    """Citations whose title words make them candidates for a document titled ``title``."""
    ws = title_words(title)
    if not ws:
        return set()
    words = {w for w, _ in ws}
    longest = {w for w, long in ws if long}
    hits: dict[int, set[tuple[str, bool]]] = {}
    for cid, word, long in _prefiltered(conn, _CITATION_WORDS, words, longest):
        hits.setdefault(cid, set()).add((word, bool(long)))
    return {cid for cid, h in hits.items() if _shares(words, longest, h)}


def citations_for_urls(conn: Connection, urls: Iterable[str]) -> set[int]:
    """Citations carrying a URL with the same :func:`url_key` as one of ``urls``."""
    keys = {k[:URL_MAX] for k in (url_key(u) for u in urls) if k}
    found: set[int] = set()
    for chunk in chunks(keys):
        found.update(conn.scalars(_CITATION_URLS, {"keys": chunk}))
    return found


def rebuild(conn: Connection) -> None:
    """Fill both tables from the documents and citations (a migration, or after a change to the rule)."""
    from storage.models import Document, StoredCitation

    conn.execute(delete(DocumentTitleWord))
    conn.execute(delete(CitationKey))
    rows = [{"document_id": did, "word": w, "longest": long}
            for did, title in conn.execute(select(Document.id, Document.title).where(Document.title.is_not(None)))
            for w, long in title_words(title)]
    for i in range(0, len(rows), 2000):
        conn.execute(insert(DocumentTitleWord), rows[i:i + 2000])
    index_citations(conn, conn.execute(select(StoredCitation.id, StoredCitation.title, StoredCitation.urls)).all())


def chunks(values: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    """``values`` in lists of at most ``size`` (for ``IN (...)`` lists), in a stable order."""
    values = sorted(values) if isinstance(values, (set, frozenset)) else list(values)
    for i in range(0, len(values), size):
        yield values[i:i + size]
