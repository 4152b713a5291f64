"""search index: footnotes, identifiers, metadata; normalised tokens on both databases

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:00:00

Replaces the body-and-title index of 0001 (FTS5 ``documents_fts`` on
SQLite, an expression GIN index on PostgreSQL) with one entry per stored
document holding python-normalised tokens of its title, identifiers,
metadata, footnotes and body (see ``storage.search.index``): the FTS5
table ``documents_fts`` with five columns on SQLite, a table
``documents_fts(document_id, tsv)`` with the GIN index
``ix_documents_search`` on PostgreSQL (the names of 0001 kept: they are
made by hand, outside storage/models.py). Existing documents are indexed here.
"""
from alembic import op
from sqlalchemy import text as sql

from storage.search.index import document_fields, write_entry


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS documents_fts")
        op.execute("CREATE VIRTUAL TABLE documents_fts USING fts5("
                   "title, ids, meta, notes, body, tokenize='ascii', prefix='2 3 4')")
    else:
        op.execute("DROP INDEX IF EXISTS ix_documents_search")
        op.execute("CREATE TABLE documents_fts (document_id INTEGER PRIMARY KEY "
                   "REFERENCES documents(id) ON DELETE CASCADE, tsv TSVECTOR NOT NULL)")
        op.execute("CREATE INDEX ix_documents_search ON documents_fts USING gin (tsv)")
    _index_existing(conn)


def _index_existing(conn) -> None:
    """Index every stored document (plain SQL: the models may be newer than this revision)."""
    ids: dict[int, list[str]] = {}
    for doc_id, value in conn.execute(sql("SELECT document_id, value FROM document_identifiers ORDER BY id")):
        ids.setdefault(doc_id, []).append(value)
    notes: dict[int, list[str]] = {}
    for doc_id, note in conn.execute(sql("SELECT document_id, text FROM footnotes ORDER BY document_id, seq")):
        notes.setdefault(doc_id, []).append(note)
    import json

    rows = conn.execute(sql("SELECT id, title, authors, date, metadata_json, text FROM documents "
                            "WHERE status = 'stored' ORDER BY id"))
    for doc_id, title, authors, date, meta, body in rows.all():
        authors = json.loads(authors) if isinstance(authors, str) else authors
        meta = json.loads(meta) if isinstance(meta, str) else meta
        fields = document_fields(title, ids.get(doc_id, []), authors or [], date, meta or {},
                                 notes.get(doc_id, []), body)
        write_entry(conn, doc_id, fields)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS documents_fts")
        op.execute("CREATE VIRTUAL TABLE documents_fts USING fts5("
                   "title, text, tokenize='unicode61 remove_diacritics 2')")
        op.execute("INSERT INTO documents_fts(rowid, title, text) SELECT id, coalesce(title, ''), "
                   "coalesce(text, '') FROM documents WHERE status = 'stored'")
    else:
        op.execute("DROP TABLE IF EXISTS documents_fts")
        op.execute("CREATE INDEX ix_documents_search ON documents USING gin ("
                   "to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(text, '')))")
