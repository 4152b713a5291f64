"""Every document with what its record hash covers, read as plain rows for ``verify``.

``verify`` recomputes each record's hash (:func:`storage.records.record_hash`)
and grouping. Loading every document as ORM objects with four levels of
children cost more than the hashing itself on a collection of small files, so
this reads the same columns as rows, a chunk of documents at a time (keyset
on the id, six queries a chunk), and gives each document the attributes the
record functions read (``identifiers``, ``footnotes`` with ``markers`` and
``citations`` with their ``identifiers``), in the relationships' own orders.
Columns no check reads (``differences``, ``derivation``) are left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Column, Connection, select
from sqlalchemy.orm import Session

from storage.models import (
    CitationIdentifier,
    Document,
    DocumentIdentifier,
    FootnoteMarker,
    StoredCitation,
    StoredFootnote,
)

CHUNK = 200  # documents a chunk
IN_LIST = 500  # ids in one IN (...) list
_UNREAD = frozenset({"differences", "derivation"})


def _columns(model: Any, skip: frozenset[str] = frozenset()) -> list[Column[Any]]:
    return [c for c in model.__table__.columns if c.name not in skip]


def _grouped(conn: Connection, model: Any, parent: Column[Any], ids: list[int], order: list[Any],
             attrs: dict[str, Any] | None = None) -> dict[int, list[SimpleNamespace]]:
    """Rows of ``model`` whose ``parent`` is in ``ids``, as namespaces grouped by parent, in ``order``."""
    out: dict[int, list[SimpleNamespace]] = {i: [] for i in ids}
    cols = _columns(model)
    for start in range(0, len(ids), IN_LIST):
        for row in conn.execute(select(*cols).where(parent.in_(ids[start:start + IN_LIST]))
                                   .order_by(parent, *order)):
            item = SimpleNamespace(**row._mapping)
            for name, default in (attrs or {}).items():
                setattr(item, name, list(default))
            out[getattr(item, parent.name)].append(item)
    return out


def documents(session: Session, chunk: int = CHUNK) -> Iterator[SimpleNamespace]:
    """Every document in id order, with its identifiers and footnotes (markers, citations and theirs)."""
    last = 0
    cols = _columns(Document, _UNREAD)
    conn = session.connection()  # Core rows: the ORM's row processing is not needed for columns
    while True:
        rows = conn.execute(select(*cols).where(Document.id > last).order_by(Document.id).limit(chunk)).all()
        if not rows:
            return
        docs = [SimpleNamespace(**r._mapping) for r in rows]
        ids = [d.id for d in docs]
        idents = _grouped(conn, DocumentIdentifier, DocumentIdentifier.__table__.c.document_id, ids,
                          [DocumentIdentifier.id])
        notes = _grouped(conn, StoredFootnote, StoredFootnote.__table__.c.document_id, ids,
                         [StoredFootnote.seq], {"markers": (), "citations": ()})
        note_ids = [n.id for ns in notes.values() for n in ns]
        markers = _grouped(conn, FootnoteMarker, FootnoteMarker.__table__.c.footnote_id, note_ids,
                           [FootnoteMarker.seq])
        cits = _grouped(conn, StoredCitation, StoredCitation.__table__.c.footnote_id, note_ids,
                        [StoredCitation.seq], {"identifiers": ()})
        cit_ids = [c.id for cs in cits.values() for c in cs]
        cit_idents = _grouped(conn, CitationIdentifier, CitationIdentifier.__table__.c.citation_id, cit_ids,
                              [CitationIdentifier.id])
        for doc in docs:
            doc.identifiers = idents[doc.id]
            doc.footnotes = notes[doc.id]
            for note in doc.footnotes:
                note.markers = markers[note.id]
                note.citations = cits[note.id]
                for cit in note.citations:
                    cit.identifiers = cit_idents[cit.id]
            yield doc
        last = ids[-1]
