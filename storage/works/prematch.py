"""Candidate confirmation ahead of storing: the pure, read-only half of grouping, run in an extraction worker.

Grouping a new document (``storage.works.index.find_match``) costs one
candidate query and one :func:`~storage.works.confirm.compare` per candidate,
most of which are unrelated texts sharing a quoted passage. Those comparisons
need only the committed archive, so an extraction worker runs them right
after extracting, on a read-only snapshot, and the storing process uses them.

A :class:`Prematch` says what it saw: the highest document id (``hwm``) and
the event chain's head (``head``) of its snapshot. The storing process ranks
the worker's candidates together with those stored since (``id > hwm``) and
compares only those; it ignores the prematch altogether when documents it
covered may have changed since (a ``re-extracted``, ``regrouped`` or
``repaired`` event after ``head``), so the placement is the one the storing
process would have made alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.orm import Session, selectinload

from storage.models import Document, Event

if TYPE_CHECKING:
    from storage.works.confirm import Comparison

log = logging.getLogger(__name__)

# events after which a document's text, keys or relation may differ from a prematch's snapshot
CHANGING_KINDS = ("re-extracted", "regrouped", "repaired")


@dataclass
class Ranked:
    """One candidate of a prematch: how many keys it shares, whether one is the exact-text key,
    and the comparison (``None``: not a stored text, nothing to compare)."""

    document_id: int
    shared: int
    exact: bool
    comparison: Comparison | None = None


@dataclass
class Prematch:
    """Candidates ranked and compared on a snapshot of the archive (``hwm``: its highest document id,
    ``head``: its last event id); ``title`` is the title they were compared under."""

    hwm: int
    head: int
    title: str | None
    ranked: list[Ranked] = field(default_factory=list)


def prematch(engine: Engine, text: str, title: str | None, notes: list[str], keys: list[str]) -> Prematch:
    """Rank and compare ``text``'s candidates on one read-only snapshot of the archive behind ``engine``."""
    from storage.works.confirm import compare
    from storage.works.index import ranked_candidates

    with engine.connect() as conn, conn.begin():
        hwm, head = snapshot(conn)
        session = Session(bind=conn)
        try:
            ranked = [Ranked(doc_id, shared, exact)
                      for doc_id, shared, exact in ranked_candidates(session, keys, up_to=hwm)]
            loaded = {d.id: d for d in session.scalars(
                select(Document).options(selectinload(Document.footnotes))
                .where(Document.id.in_([r.document_id for r in ranked])))} if ranked else {}
            for r in ranked:
                cand = loaded.get(r.document_id)
                if cand is None or cand.status != "stored" or cand.text is None:
                    continue
                r.comparison = compare(cand.text, text, cand.title, title, [n.text for n in cand.footnotes], notes,
                                       explain=False)
        finally:
            session.close()
    return Prematch(hwm, head, title, ranked)


def snapshot(conn: Connection) -> tuple[int, int]:
    """``(highest document id, last event id)`` as ``conn`` sees them (0 for none)."""
    hwm = conn.scalar(select(func.max(Document.id))) or 0
    head = conn.scalar(select(func.max(Event.id))) or 0
    return int(hwm), int(head)


def still_valid(session: Session, heads: list[int]) -> bool:
    """Whether prematches taken at event ids ``heads`` still hold: no event since the oldest of them
    could have changed a document they covered."""
    if not heads:
        return True
    return session.scalar(select(Event.id).where(Event.id > min(heads), Event.kind.in_(CHANGING_KINDS))
                          .limit(1)) is None
