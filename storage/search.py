"""Full-text search behind one interface: FTS5 on SQLite, tsvector on PostgreSQL."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from storage.models import Document

SNIPPET_WORDS = 24


@dataclass
class Hit:
    """One search result."""

    document_id: int
    title: str | None
    source: str
    snippet: str
    rank: float


def index_document(session: Session, doc: Document) -> None:
    """(Re)index one stored document. PostgreSQL indexes by expression, so only SQLite acts."""
    if session.get_bind().dialect.name != "sqlite":
        return
    session.execute(sql("DELETE FROM documents_fts WHERE rowid = :id"), {"id": doc.id})
    session.execute(sql("INSERT INTO documents_fts(rowid, title, text) VALUES (:id, :title, :text)"),
                    {"id": doc.id, "title": doc.title or "", "text": doc.text or ""})


def _fts5_terms(query: str) -> list[str]:
    """The query's words and "quoted phrases", each quoted as an FTS5 literal."""
    parts = re.findall(r'"([^"]+)"|(\S+)', query)
    return ['"' + (phrase or word).replace('"', '""') + '"' for phrase, word in parts if (phrase or word)]


def search(session: Session, query: str, limit: int = 20) -> list[Hit]:
    """Documents matching ``query``, best first.

    Unquoted words are first searched as one phrase ("Death Commission" finds
    the phrase, not every text with both words somewhere); when no document
    has the phrase, every word anywhere in a document matches. Quoted
    phrases are always kept together.
    """
    if not query.strip():
        return []
    sqlite = session.get_bind().dialect.name == "sqlite"
    run = _search_sqlite if sqlite else _search_postgres
    if '"' not in query and len(query.split()) > 1:
        hits = run(session, query, limit, phrase=True)
        if hits:
            return hits
    return run(session, query, limit, phrase=False)


def _search_sqlite(session: Session, query: str, limit: int, phrase: bool) -> list[Hit]:
    terms = _fts5_terms(query)
    if phrase:
        match = '"' + " ".join(t.strip('"') for t in terms) + '"'
    else:
        match = " ".join(terms)
    rows = session.execute(sql(
        "SELECT d.id, d.title, d.source, "
        f"snippet(documents_fts, 1, '[', ']', '…', {SNIPPET_WORDS}) AS snip, bm25(documents_fts) AS rank "
        "FROM documents_fts JOIN documents d ON d.id = documents_fts.rowid "
        "WHERE documents_fts MATCH :q ORDER BY rank, d.id LIMIT :limit"
    ), {"q": match, "limit": limit}).all()
    return [Hit(r[0], r[1], r[2], r[3], -float(r[4])) for r in rows]


def _search_postgres(session: Session, query: str, limit: int, phrase: bool) -> list[Hit]:
    tsquery = "phraseto_tsquery" if phrase else "websearch_to_tsquery"
    rows = session.execute(sql(
        "SELECT d.id, d.title, d.source, "
        "ts_headline('simple', d.text, q, 'StartSel=[, StopSel=], MaxWords=30, MinWords=12, "
        "FragmentDelimiter=…, MaxFragments=1') AS snip, "
        "ts_rank(to_tsvector('simple', coalesce(d.title, '') || ' ' || coalesce(d.text, '')), q) AS rank "
        f"FROM documents d, {tsquery}('simple', :q) q "
        "WHERE to_tsvector('simple', coalesce(d.title, '') || ' ' || coalesce(d.text, '')) @@ q "
        "ORDER BY rank DESC, d.id LIMIT :limit"
    ), {"q": query, "limit": limit}).all()
    return [Hit(r[0], r[1], r[2], r[3], float(r[4])) for r in rows]
