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

from sqlalchemy import Connection, Engine, select
from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from storage.models import Event

if TYPE_CHECKING:
    from storage.works.confirm import Comparison

log = logging.getLogger(__name__)

# events after which a document's text, keys or relation may differ from a prematch's snapshot
CHANGING_KINDS = ("re-extracted", "regrouped", "repaired")


@dataclass
class Ranked:
    """One candidate of a prematch: how many keys it shares, whether one is the exact-text key,
    and the comparison (``None``: not a stored text, or too few keys shared to be worth confirming)."""

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
    # the documents stored since the snapshot, ranked by the storing process from the keys it wrote
    # (``(id, shared, exact)``, as ``ranked_candidates`` gives them); ``None``: ask the database
    newer: list[tuple[int, int, bool]] | None = None


def prematch(engine: Engine, text: str, title: str | None, notes: list[str], keys: list[str]) -> Prematch:
    """Rank and compare ``text``'s candidates on one read-only snapshot of the archive behind ``engine``."""
    from storage.works.confirm import compare
    from storage.works.index import candidate_texts, ranked_candidates, worth_confirming

    with engine.connect() as conn, conn.begin():
        hwm, head = snapshot(conn)
        found = ranked_candidates(conn, keys, up_to=hwm)
        ranked = [Ranked(doc_id, shared, exact) for doc_id, shared, exact in found]
        # every candidate stays in the ranking (it holds its place when the storing process merges in the
        # documents stored since), but only those worth confirming are compared: the others share too few
        # keys ever to be confirmed, whatever is stored after the snapshot (a quarter of the candidates)
        loaded = candidate_texts(conn, [doc_id for doc_id, _exact in worth_confirming(found, keys)])
    for r in ranked:
        if r.document_id in loaded:
            cand_text, cand_title, cand_notes = loaded[r.document_id]
            r.comparison = compare(cand_text, text, cand_title, title, cand_notes, notes, explain=False)
    return Prematch(hwm, head, title, ranked)


_SNAPSHOT = sql("SELECT (SELECT max(id) FROM documents), (SELECT max(id) FROM events)")


def snapshot(conn: Connection) -> tuple[int, int]:
    """``(highest document id, last event id)`` as ``conn`` sees them (0 for none)."""
    row = conn.execute(_SNAPSHOT).one()
    return int(row[0] or 0), int(row[1] or 0)


def still_valid(session: Session, heads: list[int]) -> bool:
    """Whether prematches taken at event ids ``heads`` still hold: no event since the oldest of them
    could have changed a document they covered."""
    if not heads:
        return True
    return session.scalar(select(Event.id).where(Event.id > min(heads), Event.kind.in_(CHANGING_KINDS))
                          .limit(1)) is None


class RecentKeys:
    """The grouping keys this process wrote for the documents it stored last (at most ``size``).

    The storing process ranks a prematch's documents stored since its
    snapshot from these instead of querying ``work_keys`` again, when every
    document committed since the snapshot is among them (:meth:`newer`).
    A batch's keys are staged (:meth:`stage`) as its documents are stored,
    and kept (:meth:`commit`) or dropped (:meth:`discard`) with its transaction.
    """

    def __init__(self, size: int = 4096):
        self.size = size
        self._keys: dict[int, frozenset[str]] = {}   # document id -> its keys, oldest first
        self._staged: dict[int, frozenset[str]] = {}
        self._by_key: dict[str, set[int]] = {}       # key -> documents (kept and staged)

    def _index(self, document_id: int, keys: frozenset[str]) -> None:
        for k in keys:
            self._by_key.setdefault(k, set()).add(document_id)

    def _unindex(self, document_id: int, keys: frozenset[str]) -> None:
        for k in keys:
            held = self._by_key.get(k)
            if held is not None:
                held.discard(document_id)
                if not held:
                    del self._by_key[k]

    def stage(self, document_id: int, keys: list[str]) -> None:
        held = frozenset(keys)
        self._staged[document_id] = held
        self._index(document_id, held)

    def commit(self) -> None:
        for doc_id, held in self._staged.items():
            old = self._keys.pop(doc_id, None)
            if old is not None and old != held:
                self._unindex(doc_id, old)
                self._index(doc_id, held)
            self._keys[doc_id] = held
        self._staged = {}
        while len(self._keys) > self.size:
            doc_id = next(iter(self._keys))
            self._unindex(doc_id, self._keys.pop(doc_id))

    def discard(self) -> None:
        for doc_id, held in self._staged.items():
            self._unindex(doc_id, held)
            if doc_id in self._keys:
                self._index(doc_id, self._keys[doc_id])
        self._staged = {}

    def newer(self, keys: list[str], hwm: int, committed: set[int]) -> list[tuple[int, int, bool]] | None:
        """``(id, shared, exact)`` of the documents after ``hwm`` sharing ``keys``, best first (at most
        :data:`~storage.works.index.MAX_CANDIDATES`), or ``None`` when a document of ``committed`` (the
        ids after ``hwm`` in the database when the batch began) was not written by this process."""
        from storage.works.index import MAX_CANDIDATES, TEXT_KEY_PREFIX

        if any(i > hwm and i not in self._keys for i in committed):
            return None
        shared: dict[int, int] = {}
        exact: set[int] = set()
        for k in set(keys):
            for doc_id in self._by_key.get(k, ()):
                if doc_id > hwm:
                    shared[doc_id] = shared.get(doc_id, 0) + 1
                    if k.startswith(TEXT_KEY_PREFIX):
                        exact.add(doc_id)
        found = sorted(((d, n, d in exact) for d, n in shared.items()), key=lambda r: (-r[1], r[0]))
        return found[:MAX_CANDIDATES]
