"""Full-text search behind one interface: FTS5 on SQLite, tsvector on PostgreSQL."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from .models import Document

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


def _fts5_query(query: str) -> str:
    """User words to an FTS5 query: quoted phrases kept, other words AND-ed as literals."""
    parts = re.findall(r'"([^"]+)"|(\S+)', query)
    terms = []
    for phrase, word in parts:
        value = (phrase or word).replace('"', '""')
        if value:
            terms.append(f'"{value}"')
    return " ".join(terms)


def search(session: Session, query: str, limit: int = 20) -> list[Hit]:
    """Documents matching every word of ``query`` (quoted phrases as phrases), best first."""
    if not query.strip():
        return []
    if session.get_bind().dialect.name == "sqlite":
        rows = session.execute(sql(
            "SELECT d.id, d.title, d.source, "
            f"snippet(documents_fts, 1, '[', ']', '…', {SNIPPET_WORDS}) AS snip, bm25(documents_fts) AS rank "
            "FROM documents_fts JOIN documents d ON d.id = documents_fts.rowid "
            "WHERE documents_fts MATCH :q ORDER BY rank, d.id LIMIT :limit"
        ), {"q": _fts5_query(query), "limit": limit}).all()
        return [Hit(r[0], r[1], r[2], r[3], -float(r[4])) for r in rows]
    rows = session.execute(sql(
        "SELECT d.id, d.title, d.source, "
        "ts_headline('simple', d.text, q, 'StartSel=[, StopSel=], MaxWords=30, MinWords=12, "
        "FragmentDelimiter=…, MaxFragments=1') AS snip, "
        "ts_rank(to_tsvector('simple', coalesce(d.title, '') || ' ' || coalesce(d.text, '')), q) AS rank "
        "FROM documents d, websearch_to_tsquery('simple', :q) q "
        "WHERE to_tsvector('simple', coalesce(d.title, '') || ' ' || coalesce(d.text, '')) @@ q "
        "ORDER BY rank DESC, d.id LIMIT :limit"
    ), {"q": query, "limit": limit}).all()
    return [Hit(r[0], r[1], r[2], r[3], float(r[4])) for r in rows]
