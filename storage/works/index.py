"""Grouping documents into works, on a persistent near-duplicate index.

Levels, strongest first: identical bytes never reach here (same record, a
"seen-again" event); identical canonical text in another format is a
*rendition*; an edited text is a *revision*; anything else starts a new
work. Candidates come from the ``work_keys`` inverted index (keys from
``storage.works.fingerprints.fingerprint``), so a lookup costs a few indexed
queries however large the archive; each candidate is then confirmed by
``storage.works.confirm.compare``, which looks at several measures, not one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from storage import events
from storage.models import Document, Work, WorkKey

if TYPE_CHECKING:
    from extractors.record import ExtractedDocument

MAX_CANDIDATES = 8
MIN_SHARED = 2
TEXT_KEY_PREFIX = "="


@dataclass
class Placement:
    """Where a document went, and why."""

    relation: str
    matched_document_id: int | None = None
    score: float | None = None
    reasons: dict[str, Any] = field(default_factory=dict)
    renumbered: list[int] = field(default_factory=list)


def index_keys(text: str, title: str | None) -> list[str]:
    """The keys stored for a document: its exact-text key and its candidate keys."""
    from storage.works.fingerprints import fingerprint

    if not text.strip():
        return []
    fp = fingerprint(text, title)
    keys = [TEXT_KEY_PREFIX + fp.text_key[:63]]
    keys.extend(k[:64] for k in fp.keys)
    return list(dict.fromkeys(keys))


def candidates(session: Session, keys: list[str], exclude: set[int] | None = None) -> list[tuple[int, bool]]:
    """Documents worth confirming, best first: ``(document id, same exact text)``.

    One indexed query over ``work_keys``. One shared key out of dozens is what
    unrelated texts on one topic have; a revision shares many (seeds 000/001
    after a heavy rewrite: 7; edited versions: 19+), so long texts need two;
    short texts have few keys and need one.
    """
    if not keys:
        return []
    exclude = exclude or set()
    exact = [k for k in keys if k.startswith(TEXT_KEY_PREFIX)]
    rows = session.execute(
        select(WorkKey.document_id, func.count().label("shared"))
        .where(WorkKey.key.in_(keys))
        .group_by(WorkKey.document_id)
        .order_by(func.count().desc(), WorkKey.document_id)
        .limit(MAX_CANDIDATES + len(exclude))
    ).all()
    exact_ids = set(session.scalars(select(WorkKey.document_id).where(WorkKey.key.in_(exact)))) if exact else set()
    min_shared = MIN_SHARED if len(keys) >= 20 else 1
    return [(doc_id, doc_id in exact_ids) for doc_id, shared in rows
            if doc_id not in exclude and (shared >= min_shared or doc_id in exact_ids)]


def find_match(session: Session, text: str, title: str | None, keys: list[str],
               exclude: set[int] | None = None) -> Placement | None:
    """The best already-placed document that ``text`` is a rendition or revision of."""
    from storage.works.confirm import compare

    best: Placement | None = None
    for doc_id, exact in candidates(session, keys, exclude):
        cand = session.get(Document, doc_id)
        if cand is None or cand.status != "stored" or cand.text is None:
            continue
        if exact:
            return Placement("rendition", doc_id, 1.0, {"exact_text": True})
        result = compare(text, cand.text, title, cand.title)
        if result.level == "unrelated":
            continue
        if best is None or result.score > (best.score or 0):
            best = Placement(result.level, doc_id, result.score, dict(result.reasons))
    return best


def place(session: Session, doc: Document, record: ExtractedDocument) -> Placement:
    """Put ``doc`` (not yet flushed or just re-extracted) into a work and index it."""
    return place_text(session, doc, record.text, record.metadata.title)


def place_text(session: Session, doc: Document, text: str, title: str | None) -> Placement:
    """:func:`place` for a document given by its canonical text and title."""
    keys = index_keys(text, title)
    exclude = {doc.id} if doc.id is not None else set()
    with session.no_autoflush:
        match = find_match(session, text, title, keys, exclude)
    if match is not None:
        target = session.get(Document, match.matched_document_id)
        doc.work_id = target.work_id
        doc.relation = match.relation
        doc.related_document_id = target.id
        doc.similarity = match.score
        placement = match
    else:
        work = Work(title=title or None)
        session.add(work)
        session.flush()
        doc.work_id = work.id
        doc.relation = "original"
        doc.related_document_id = None
        doc.similarity = None
        placement = Placement("original")
    session.add(doc)
    session.flush()
    session.execute(delete(WorkKey).where(WorkKey.document_id == doc.id))
    session.add_all(WorkKey(document_id=doc.id, key=k) for k in keys)
    placement.renumbered = renumber(session, doc.work_id, skip=doc.id)
    return placement


def version_sort_key(doc: Document) -> tuple[str, int]:
    """Versions are ordered by the document's own date, else when it was first obtained."""
    own = doc.date or ""
    obtained = events.iso(doc.obtained_at) if doc.obtained_at else ""
    return (own or obtained, doc.id or 0)


def renumber(session: Session, work_id: int, skip: int | None = None) -> list[int]:
    """Re-order the versions of a work; return ids (other than ``skip``) whose number changed."""
    docs = list(session.scalars(select(Document).where(Document.work_id == work_id)))
    docs.sort(key=version_sort_key)
    changed = []
    for number, member in enumerate(docs, start=1):
        if member.version != number:
            member.version = number
            if member.id != skip:
                changed.append(member.id)
    work = session.get(Work, work_id)
    titled = [d for d in docs if d.title]
    if work is not None and titled:
        work.title = titled[-1].title
    session.flush()
    return changed


def grouping_detail(doc: Document) -> dict[str, Any]:
    """What a 'grouped' event asserts about a document."""
    return {"work_id": doc.work_id, "version": doc.version, "relation": doc.relation,
            "related_document_id": doc.related_document_id}


def record_grouping(session: Session, doc: Document, run_id: int | None,
                    placement: Placement | None = None) -> None:
    """Append 'grouped' events for ``doc`` and every document renumbered with it."""
    if placement is None:
        doc.version = doc.version or 1
        session.flush()
    detail = grouping_detail(doc)
    if placement is not None:
        detail["score"] = placement.score
        detail["reasons"] = placement.reasons
    events.append_event(session, "grouped", doc.relation, document_id=doc.id, work_id=doc.work_id,
                        run_id=run_id, detail=detail)
    for other_id in placement.renumbered if placement else []:
        other = session.get(Document, other_id)
        events.append_event(session, "grouped", other.relation, document_id=other.id, work_id=other.work_id,
                            run_id=run_id, detail=grouping_detail(other) | {"renumbered_by": doc.id})
