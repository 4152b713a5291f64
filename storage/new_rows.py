"""A new document, its new work and its children written with Core inserts, then attached to the session.

Storing a document flushed it through the ORM's unit of work: for a
document with a work, identifiers, footnotes, markers and citations that
cost five times what SQLite spent on the inserts. :func:`insert_new` writes
the same rows (column defaults filled in the same way) with one ``INSERT``
per table (``RETURNING`` the ids, in order), then makes every object
persistent in the session as if it had been loaded, so the code after it
(renumbering, links, events) sees exactly what a flush would have left.

One difference: a savepoint that rolls back does not take such objects out
of the session (it forgets only what it saw inserted), so a caller that
catches the rollback calls :func:`forget` with the :func:`mark` it took.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Insert, Table, insert, inspect
from sqlalchemy.orm import Session, make_transient_to_detached

from storage.models import Base, Document


def _values(obj: Base) -> dict[str, Any]:
    """The row of a transient object: its attributes, and each unset column's default (as a flush)."""
    state = inspect(obj)
    row: dict[str, Any] = {}
    for column in obj.__table__.columns:  # type: ignore[attr-defined]
        if column.primary_key:
            continue
        if column.key in state.dict:
            value = state.dict[column.key]
        elif column.default is None:
            value = None
        elif column.default.is_callable:
            value = column.default.arg(None)  # type: ignore[union-attr]
        else:
            value = column.default.arg  # type: ignore[union-attr]
        if column.key not in state.dict:
            setattr(obj, column.key, value)
        row[column.key] = value
    return row


@lru_cache(maxsize=None)
def _statement(table: Table) -> Insert:
    """``INSERT ... RETURNING id`` (ids in the order of the rows), built once per table."""
    return insert(table).returning(table.c.id, sort_by_parameter_order=True)


def _insert(session: Session, objects: Sequence[Base]) -> None:
    """Insert ``objects`` (all of one class) in one statement and set their ids."""
    if not objects:
        return
    table = objects[0].__table__  # type: ignore[attr-defined]
    rows = [_values(o) for o in objects]
    ids = session.connection().execute(_statement(table), rows).scalars().all()
    for obj, new_id in zip(objects, ids):
        obj.id = new_id  # type: ignore[attr-defined]


def insert_new(session: Session, doc: Document) -> None:
    """Insert ``doc`` (transient, with its new work in ``doc.work`` or an existing ``work_id``) and its
    children; afterwards all of them are persistent in ``session`` and nothing of them is pending."""
    work = doc.work if doc.work_id is None else None
    if work is not None:
        _insert(session, [work])
        doc.work_id = work.id
    _insert(session, [doc])
    for ident in doc.identifiers:
        ident.document_id = doc.id
    _insert(session, doc.identifiers)
    for note in doc.footnotes:
        note.document_id = doc.id
    _insert(session, doc.footnotes)
    markers = [m for n in doc.footnotes for m in n.markers]
    citations = [c for n in doc.footnotes for c in n.citations]
    for note in doc.footnotes:
        for child in (*note.markers, *note.citations):
            child.footnote_id = note.id
    _insert(session, markers)
    _insert(session, citations)
    cited_ids = [i for c in citations for i in c.identifiers]
    for cit in citations:
        for ident in cit.identifiers:
            ident.citation_id = cit.id
    _insert(session, cited_ids)
    # children first: adding the document cascades to them, and they must arrive as loaded rows
    attached = (*cited_ids, *citations, *markers, *doc.footnotes, *doc.identifiers, *([work] if work else []), doc)
    for obj in attached:
        make_transient_to_detached(obj)
    session.add(doc)
    session.info.setdefault(_ATTACHED, []).extend(attached)


_ATTACHED = "new_rows"


def mark(session: Session) -> int:
    """A mark to :func:`forget` back to (before a savepoint)."""
    return len(session.info.get(_ATTACHED, ()))


def forget(session: Session, since: int) -> None:
    """Take the objects :func:`insert_new` attached after ``since`` out of the session: their savepoint
    rolled back. (Rows a flush inserted the session forgets by itself; these it took for loaded ones.)"""
    attached = session.info.get(_ATTACHED, [])
    for obj in attached[since:]:
        if obj in session:
            session.expunge(obj)
    del attached[since:]
