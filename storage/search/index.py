"""What is indexed and how: one normalised entry per stored document, in five fields.

Fields, in the order their tokens are numbered: ``title``, ``ids`` (the
document's identifiers), ``meta`` (authors, date, site name, description,
keywords, infobox and other structured fields), ``notes`` (every footnote
text, in order) and ``body``.

SQLite keeps them as columns of the FTS5 table ``documents_fts`` (rowid =
document id, ``ascii`` tokenizer: the text is already tokenised, so FTS5
splits only on the spaces put between tokens). PostgreSQL keeps one
``tsvector`` per document in the table ``documents_fts``, written as a literal with
explicit positions and weights (title A, ids B, notes C, meta and body D)
so no PostgreSQL parser or dictionary changes a token. Fields are apart in
token positions (a phrase never runs from one field into the next), as
columns are in FTS5.

Limits of ``tsvector`` (PostgreSQL, not SQLite): positions above 16383
count as 16383 and a token keeps at most 256 positions, so a phrase deep in
a very long text can match on SQLite and not on PostgreSQL; words always
match on both.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import text as sql
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from storage.models import Document
from storage.search.normalize import tokens

log = logging.getLogger(__name__)

FIELD_ORDER = ("title", "ids", "meta", "notes", "body")
WEIGHTS = {"title": "A", "ids": "B", "notes": "C", "meta": "D", "body": "D"}
FIELD_GAP = 100  # token positions between two fields
TSVECTOR_MAX_POSITIONS = 256
TSVECTOR_MAX_BYTES = 900_000  # PostgreSQL refuses a tsvector of 1 MB or more


def _strings(value: Any) -> Iterable[str]:
    """Every string inside a JSON-like ``value`` (infobox values, keywords, …)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def document_fields(title: str | None, identifiers: Iterable[str], authors: Iterable[Any], date: str | None,
                    metadata: dict[str, Any] | None, notes: Iterable[str], body: str | None) -> dict[str, list[str]]:
    """The tokens of each field of one document."""
    meta = list(_strings(list(authors))) + ([date] if date else []) + list(_strings(metadata or {}))
    return {
        "title": tokens(title),
        "ids": [t for value in identifiers for t in tokens(value)],
        "meta": [t for value in meta for t in tokens(value)],
        "notes": [t for note in notes for t in tokens(note)],
        "body": tokens(body),
    }


def tsvector_literal(fields: dict[str, list[str]]) -> str:
    """The fields as a PostgreSQL ``tsvector`` literal with positions and weights."""
    positions: dict[str, list[str]] = {}
    pos = 1
    for name in FIELD_ORDER:
        weight = WEIGHTS[name] if WEIGHTS[name] != "D" else ""
        for tok in fields[name]:
            slots = positions.setdefault(tok, [])
            if len(slots) < TSVECTOR_MAX_POSITIONS:
                slots.append(f"{min(pos, 16383)}{weight}")
            pos += 1
        pos += FIELD_GAP
    keep = TSVECTOR_MAX_POSITIONS
    while True:
        size = sum(len(tok.encode()) + 8 + 2 * min(len(p), keep) for tok, p in positions.items())
        if size <= TSVECTOR_MAX_BYTES or keep == 1:
            break
        keep = max(1, keep // 4)
    if keep < TSVECTOR_MAX_POSITIONS:
        log.warning("search index: long text, at most %d positions per word on PostgreSQL", keep)
    return " ".join(f"'{tok}':{','.join(p[:keep])}" for tok, p in positions.items())


def write_entry(conn: Session | Connection, document_id: int, fields: dict[str, list[str]] | None,
                fresh: bool = False) -> None:
    """Replace the index entry of one document (``fields`` ``None``: remove it; ``fresh``: a new
    document, which has no entry to replace)."""
    bind = conn.get_bind() if isinstance(conn, Session) else conn
    if bind.dialect.name == "sqlite":
        if not fresh:
            conn.execute(sql("DELETE FROM documents_fts WHERE rowid = :id"), {"id": document_id})
        if fields is not None:
            write_new_entries(conn, [(document_id, fields)])
        return
    if fields is None:
        conn.execute(sql("DELETE FROM documents_fts WHERE document_id = :id"), {"id": document_id})
        return
    write_new_entries(conn, [(document_id, fields)])


def write_new_entries(conn: Session | Connection, entries: list[tuple[int, dict[str, list[str]]]]) -> None:
    """Index documents that have no entry yet, in one statement (``executemany``).

    A batch of new documents is indexed this way after its last savepoint: FTS5 writes its pending
    terms out at every savepoint, so entries inserted one per savepoint become one small index
    segment each (and merges), where one insert per batch leaves one segment per commit.
    """
    if not entries:
        return
    bind = conn.get_bind() if isinstance(conn, Session) else conn
    if bind.dialect.name == "sqlite":
        conn.execute(sql("INSERT INTO documents_fts(rowid, title, ids, meta, notes, body) "
                         "VALUES (:id, :title, :ids, :meta, :notes, :body)"),
                     [{"id": doc_id, **{k: " ".join(v) for k, v in fields.items()}} for doc_id, fields in entries])
        return
    conn.execute(sql("INSERT INTO documents_fts(document_id, tsv) VALUES (:id, CAST(:tsv AS tsvector)) "
                     "ON CONFLICT (document_id) DO UPDATE SET tsv = excluded.tsv"),
                 [{"id": doc_id, "tsv": tsvector_literal(fields)} for doc_id, fields in entries])


def entry_fields(doc: Document) -> dict[str, list[str]]:
    """The index fields of one stored document, with its footnotes, identifiers and metadata."""
    return document_fields(doc.title, [i.value for i in doc.identifiers], doc.authors or [], doc.date,
                           doc.metadata_json, [n.text for n in doc.footnotes], doc.text)


def index_document(session: Session, doc: Document, fresh: bool = False) -> None:
    """(Re)index one document with its footnotes, identifiers and metadata (a failed one leaves the index;
    ``fresh``: a document just inserted, never indexed)."""
    if doc.status != "stored":
        write_entry(session, doc.id, None)
        return
    write_entry(session, doc.id, entry_fields(doc), fresh)
