"""Running a search: filters, grouping by work, total, paging, a time bound on both databases."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy import text as sql
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, selectinload

from storage.models import Document, StoredFootnote
from storage.search.query import (AnyOf, Node, SearchQueryError, Term, as_phrase, parse, positive_terms,
                                  to_fts5, to_tsquery)
from storage.search.snippets import matching_notes, snippet

TIMEOUT_S = 5.0
MAX_LIMIT = 200
CANDIDATES = 1000  # matching documents ranked per query (see _ranked)

# Rank weights: a title or identifier match ranks above one in notes or body.
_BM25 = "bm25(documents_fts, 10.0, 8.0, 2.0, 1.0, 1.0)"  # title, ids, meta, notes, body
_TS_WEIGHTS = "'{0.1, 0.3, 0.8, 1.0}'"  # D (meta, body), C (notes), B (ids), A (title)


class SearchTimeout(SearchQueryError):
    """The search ran longer than its time bound and was stopped."""


@dataclass
class SearchFilters:
    """Plain filters on the matching documents (``None``: no filter)."""

    date_from: str | None = None
    date_to: str | None = None
    language: str | None = None
    format: str | None = None
    work: int | None = None
    identifier: str | None = None


@dataclass
class NoteHit:
    """A footnote that holds a match: which note, its text around the match, the sentence that cites it."""

    seq: int
    label: str
    snippet: str
    marker_context: str | None


@dataclass
class Hit:
    """One work that matches: its earliest matching version (``document_id``, the snippet's source),
    every version that matches, the best rank of them, the notes with a match."""

    work_id: int
    document_id: int
    title: str | None
    source: str
    snippet: str
    rank: float
    documents: list[int] = field(default_factory=list)
    notes: list[NoteHit] = field(default_factory=list)

    def to_dict(self, total: int, total_exact: bool = True) -> dict[str, Any]:
        """This hit with stable keys: one item of ``archivist search --json`` and of the web API's hits."""
        return {"id": self.document_id, "work_id": self.work_id, "documents": self.documents, "title": self.title,
                "source": self.source, "snippet": self.snippet, "rank": self.rank, "total": total,
                "total_exact": total_exact,
                "notes": [{"seq": n.seq, "label": n.label, "snippet": n.snippet, "cited_at": n.marker_context}
                          for n in self.notes]}


@dataclass
class SearchResult:
    """One page of works (best first) and how many works match in all (``total_exact`` ``False``: at least
    ``total``, the works of the first :data:`CANDIDATES` matching documents and of any page further on)."""

    total: int
    hits: list[Hit]
    limit: int
    offset: int
    total_exact: bool = True  # False: more than CANDIDATES documents match, ``total`` is a lower bound


def search(session: Session, query: str, filters: SearchFilters | None = None, limit: int = 20,
           offset: int = 0, timeout_s: float = TIMEOUT_S, candidates: int = CANDIDATES) -> SearchResult:
    """Works matching ``query`` (see :mod:`storage.search.query`), best first, one hit per work.

    Bare words (``Death Commission``) first match as a phrase; when no
    document has the phrase, documents with every word anywhere match.
    Ranking reads the first ``candidates`` matching documents (by id); past
    them the total is a lower bound (``total_exact`` ``False``) and works
    further on come after the ranked ones, by their first matching document.
    """
    node = parse(query)
    filters = filters or SearchFilters()
    if not 1 <= limit <= MAX_LIMIT or offset < 0 or candidates < 1:
        raise SearchQueryError(f"--limit must be 1 to {MAX_LIMIT} and --offset 0 or more")
    with time_bound(session, timeout_s):
        phrase = as_phrase(node, query)
        if phrase is not None:
            result = _run(session, phrase, filters, limit, offset, candidates)
            if result.total:
                return result
        return _run(session, node, filters, limit, offset, candidates)


def _where(filters: SearchFilters) -> tuple[str, dict[str, Any]]:
    """The filters as SQL conditions on ``documents d`` (the same on both databases), with parameters."""
    where, params = ["d.status = 'stored'"], {}
    if filters.date_from:
        where.append("d.date >= :date_from")
        params["date_from"] = filters.date_from
    if filters.date_to:
        where.append("substr(d.date, 1, :date_to_len) <= :date_to")
        params.update(date_to=filters.date_to, date_to_len=len(filters.date_to))
    for name in ("language", "format"):
        if getattr(filters, name):
            where.append(f"lower(d.{name}) = lower(:{name})")
            params[name] = getattr(filters, name)
    if filters.work is not None:
        where.append("d.work_id = :work")
        params["work"] = filters.work
    if filters.identifier:
        where.append("EXISTS (SELECT 1 FROM document_identifiers i WHERE i.document_id = d.id "
                     "AND lower(i.value) = lower(:identifier))")
        params["identifier"] = filters.identifier
    return " AND ".join(where), params


class _Matcher:
    """The SQL of one compiled query on one database: candidates in document-id order (with a score,
    lower is better), and which documents of some works match.

    Every statement walks the full-text index in document-id order and stops at its ``LIMIT``, so no
    statement reads, ranks or groups every match of a common word.
    """

    def __init__(self, session: Session, node: Node, filters: SearchFilters):
        self.session = session
        self.sqlite = session.get_bind().dialect.name == "sqlite"
        self.where, self.params = _where(filters)
        self.params["q"] = to_fts5(node) if self.sqlite else to_tsquery(node)
        self.words = to_fts5(_words(node)) if self.sqlite else ""

    def candidates(self, after: int, limit: int, scored: bool = True) -> list[tuple[int, int, float]]:
        """Up to ``limit`` matching ``(doc_id, work_id, score)`` with ``doc_id > after``, lowest ids first."""
        params = {**self.params, "after": after, "cap": limit}
        if self.sqlite:
            # FTS5 yields rowids in order: ORDER BY rowid LIMIT stops the scan (no bm25 here, see scored).
            rows = self.session.execute(sql(
                "SELECT d.id, d.work_id, 0.0 FROM documents_fts JOIN documents d ON d.id = documents_fts.rowid "
                f"WHERE documents_fts MATCH :q AND documents_fts.rowid > :after AND {self.where} "
                "ORDER BY documents_fts.rowid LIMIT :cap"), params).all()
            scores = {d: r for d, _, r in self.scored([int(r[0]) for r in rows])} if scored else {}
            return [(int(d), int(w), scores.get(int(d), 0.0)) for d, w, _ in rows]
        # The GIN index on documents_fts.tsv finds the matches (phrases with <->); ts_rank only over the
        # LIMITed subquery.
        score = f"-ts_rank({_TS_WEIGHTS}, c.tsv, CAST(:q AS tsquery))" if scored else "0.0"
        rows = self.session.execute(sql(
            f"SELECT c.id, c.work_id, {score} FROM (SELECT d.id, d.work_id, s.tsv FROM documents_fts s "
            "JOIN documents d ON d.id = s.document_id WHERE s.tsv @@ CAST(:q AS tsquery) "
            f"AND s.document_id > :after AND {self.where} ORDER BY s.document_id LIMIT :cap) c ORDER BY c.id"), params)
        return [(int(d), int(w), float(r)) for d, w, r in rows]

    def scored(self, doc_ids: list[int]) -> list[tuple[int, int, float]]:
        """``(doc_id, work_id, bm25)`` of the matching documents ``doc_ids`` (SQLite), in id order."""
        if not doc_ids:
            return []
        in_list = ", ".join(str(d) for d in doc_ids)  # integers from the database, never user text
        # bm25 over the query's words, not its phrases: bm25 first counts the documents holding each of its
        # phrases, a scan of every match of a common phrase; a word's count is cheap. "+rowid": the id list
        # is not handed to FTS5 (which would rerun the MATCH and those counts once per id); the rowid range
        # bounds the scan.
        stmt = (f"SELECT d.id, d.work_id, {_BM25} FROM documents_fts JOIN documents d ON d.id = documents_fts.rowid "
                f"WHERE documents_fts MATCH :r AND documents_fts.rowid BETWEEN {min(doc_ids)} AND {max(doc_ids)} "
                f"AND +documents_fts.rowid IN ({in_list}) ORDER BY documents_fts.rowid")
        return [(int(d), int(w), float(r)) for d, w, r in self.session.execute(sql(stmt), {"r": self.words})]

    def members(self, work_ids: list[int]) -> dict[int, list[int]]:
        """Work id → its matching documents, for ``work_ids`` (looked up by work, not by scanning matches)."""
        in_list = ", ".join(str(w) for w in work_ids)  # integers from the database, never user text
        if self.sqlite:
            # CROSS JOIN keeps documents outside: FTS5 then checks MATCH for one rowid at a time.
            stmt = ("SELECT d.id, d.work_id FROM documents d CROSS JOIN documents_fts ON documents_fts.rowid = d.id "
                    f"WHERE d.work_id IN ({in_list}) AND documents_fts MATCH :q AND {self.where}")
        else:
            stmt = ("SELECT d.id, d.work_id FROM documents d JOIN documents_fts s ON s.document_id = d.id "
                    f"WHERE d.work_id IN ({in_list}) AND s.tsv @@ CAST(:q AS tsquery) AND {self.where}")
        out: dict[int, list[int]] = {}
        for doc_id, work_id in self.session.execute(sql(stmt), self.params):
            out.setdefault(int(work_id), []).append(int(doc_id))
        return {w: sorted(d) for w, d in out.items()}


def _words(node: Node) -> Node:
    """Every word of ``node``'s terms (not the excluded ones) on its own, any of them: what SQLite ranks by."""
    words: list[Term] = []
    for term in positive_terms(node):
        for i, tok in enumerate(term.tokens):
            word = Term((tok,), term.prefix and i == len(term.tokens) - 1, term.field)
            if word not in words:
                words.append(word)
    return words[0] if len(words) == 1 else AnyOf(list(words))


def _ranked(matcher: _Matcher, candidates: int) -> tuple[dict[int, float], int, bool]:
    """Work id → best score over the ranked candidates, the last candidate's id, and whether every match
    is a candidate.

    Candidates: the first ``candidates`` matching documents by id (the earliest archived). Ranking
    reads only them, so a common word costs what a rare one does; past that many matches, works
    beyond them come after the ranked ones (see :func:`_unranked_works`) and the total is a lower bound.
    """
    found = matcher.candidates(0, candidates + 1)
    complete = len(found) <= candidates
    found = found[:candidates]
    best: dict[int, float] = {}
    for _doc, work, score in found:
        best[work] = min(score, best.get(work, score))
    return best, (found[-1][0] if found else 0), complete


def _run(session: Session, node: Node, filters: SearchFilters, limit: int, offset: int,
         candidates: int) -> SearchResult:
    matcher = _Matcher(session, node, filters)
    best, last, complete = _ranked(matcher, candidates)
    order = sorted(best, key=lambda w: (best[w], w))
    if not complete and len(order) < offset + limit:
        more, complete = _unranked_works(matcher, last, set(best), offset + limit - len(order))
        order += more
    total = len(order)  # exact when complete, else the works seen so far (a lower bound)
    page_ids = order[offset:offset + limit]
    if not page_ids:
        return SearchResult(total, [], limit, offset, complete)
    members = matcher.members(page_ids)
    page = [(w, best.get(w, 0.0)) for w in page_ids if w in members]
    return SearchResult(total, _hits(session, node, page, members), limit, offset, complete)


def _unranked_works(matcher: _Matcher, after: int, seen: set[int], needed: int) -> tuple[list[int], bool]:
    """Past the ranked works: up to ``needed`` more works, by their first matching document id after
    ``after`` (paging far), and whether that read every remaining match."""
    out: list[int] = []
    while len(out) < needed:
        rows = matcher.candidates(after, 2000, scored=False)
        for _doc, work, _score in rows:
            if work not in seen:
                seen.add(work)
                out.append(work)
        if len(rows) < 2000:
            return out, True
        after = rows[-1][0]
    return out[:needed], False


def _hits(session: Session, node: Node, page: list[tuple[int, float]], members: dict[int, list[int]]) -> list[Hit]:
    # The earliest archived matching version stands for the work: the same on both databases.
    best_ids = {w: min(members[w]) for w, _ in page}
    docs = {d.id: d for d in session.scalars(
        select(Document).options(selectinload(Document.footnotes).selectinload(StoredFootnote.markers))
        .where(Document.id.in_(list(best_ids.values()))))}
    hits = []
    for work_id, best in page:
        doc = docs[best_ids[work_id]]
        notes = matching_notes(node, doc.footnotes)
        text_snippet = snippet(node, doc.text or "") or snippet(node, doc.title or "", (None, "title"))
        if not text_snippet and notes:
            text_snippet = f"note [{notes[0].label}]: {notes[0].snippet}"
        hits.append(Hit(work_id, doc.id, doc.title, doc.source, text_snippet or (doc.title or doc.source),
                        -float(best), members[work_id],
                        [NoteHit(n.seq, n.label, n.snippet, n.marker_context) for n in notes]))
    return hits


@contextmanager
def time_bound(session: Session, timeout_s: float) -> Iterator[None]:
    """Stop the search after ``timeout_s``: PostgreSQL ``statement_timeout`` (the server stops it even when
    the client is gone), SQLite a progress handler that interrupts the statement."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        conn.execute(sql(f"SET LOCAL statement_timeout = {max(1, int(timeout_s * 1000))}"))
        # psycopg prepares a statement run 5 times; a generic plan (the tsquery unknown) walks the whole
        # table in id order for a rare word. Plan each search for its own query.
        conn.execute(sql("SET LOCAL plan_cache_mode = force_custom_plan"))
        try:
            yield
        except DBAPIError as exc:
            if (getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)) == "57014":  # canceled
                raise SearchTimeout(f"search stopped after {timeout_s:g} s: narrow the query") from exc
            raise
        return
    raw = conn.connection.dbapi_connection
    deadline = time.monotonic() + timeout_s
    raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        yield
    except DBAPIError as exc:
        if "interrupted" in str(exc.orig):
            raise SearchTimeout(f"search stopped after {timeout_s:g} s: narrow the query") from exc
        raise
    finally:
        raw.set_progress_handler(None, 0)
