"""``archivist regroup``: rebuild every work from scratch and report what moved.

Documents are replayed in the order they were obtained through the same
placement rule ingest uses (``storage.works.index``), on a freshly rebuilt
candidate index, in one transaction. Each new group keeps the old work id
most of its members had (so nothing "moves" where nothing changed); works
left empty are deleted. Every document whose work, version or relation
changed gets a new "grouped" event.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy import text as sql
from sqlalchemy.orm import Session, defer

from storage import events
from storage.citations.linking import relink_all
from storage.database import transaction
from storage.models import Document, Work, WorkKey
from storage.works.index import Placement, apply_placement, decide, grouping_detail, index_keys, manifest_of, renumber

if TYPE_CHECKING:
    from storage.archive import Archive

TEXT_CHUNK = 200  # documents whose texts are read together, and held together, while they are placed
_TEXTS = sql("SELECT id, text FROM documents WHERE id IN :ids").bindparams(bindparam("ids", expanding=True))
_NOTES = sql("SELECT document_id, text FROM footnotes WHERE document_id IN :ids ORDER BY document_id, seq"
             ).bindparams(bindparam("ids", expanding=True))


@dataclass
class RegroupReport:
    documents: int = 0
    works_before: int = 0
    works_after: int = 0
    moved: list[dict[str, Any]] = field(default_factory=list)
    relabelled: list[dict[str, Any]] = field(default_factory=list)


def regroup(archive: Archive, progress: Callable[[int, int], None] | None = None) -> RegroupReport:
    """Rebuild works for the whole archive; see the module docstring.

    ``progress`` (when given) is called with (documents placed, documents) after each one.
    """
    report = RegroupReport()
    with transaction(archive.sessions) as session:
        events.lock_head(session)
        # the texts stay in the database: each chunk's are read when its documents are placed, then dropped
        docs = list(session.scalars(select(Document).options(defer(Document.text))
                                    .order_by(Document.obtained_at, Document.id)))
        before = {d.id: grouping_detail(d) for d in docs}
        report.documents = len(docs)
        report.works_before = len(set(session.scalars(select(Work.id))))
        session.execute(delete(WorkKey))
        session.flush()
        group_of, placement = _replay(session, docs, progress)
        members: dict[int, list[Document]] = {}
        for doc in docs:
            members.setdefault(group_of[doc.id], []).append(doc)
        used: set[int] = set()
        for group in sorted(members, key=lambda g: min(d.id for d in members[g])):
            votes = Counter(before[d.id]["work_id"] for d in members[group])
            work_id = next((w for w, _ in votes.most_common() if w not in used), None)
            if work_id is None:
                work = Work(title=members[group][0].title)
                session.add(work)
                session.flush()
                work_id = work.id
            used.add(work_id)
            for doc in members[group]:
                doc.work_id = work_id
                apply_placement(doc, placement[doc.id])
        session.flush()
        for work_id in used:
            renumber(session, work_id)
        for work in session.scalars(select(Work)):
            if work.id not in used:
                session.delete(work)
        session.flush()
        for doc in docs:
            after = grouping_detail(doc)
            if after == before[doc.id]:
                continue
            entry = {"document_id": doc.id, "from": before[doc.id], "to": after}
            if after["work_id"] != before[doc.id]["work_id"]:
                report.moved.append(entry)
            else:
                report.relabelled.append(entry)
            events.append_event(session, "grouped", doc.relation, document_id=doc.id, work_id=doc.work_id,
                                detail=after | {"regrouped": True}
                                | ({"differences": doc.differences} if doc.differences else {}))
        report.works_after = len(used)
        # Citations never link inside their own work, so links depend on the grouping.
        relink_all(session)
        events.append_event(session, "regrouped", "ok", detail={
            "documents": report.documents, "works_before": report.works_before, "works_after": report.works_after,
            "moved": len(report.moved), "relabelled": len(report.relabelled)})
    return report


def _replay(session: Session, docs: list[Document], progress: Callable[[int, int], None] | None
            ) -> tuple[dict[int, int], dict[int, Placement]]:
    """Place ``docs`` in order on an empty candidate index: each one's group (a number) and placement."""
    group_of: dict[int, int] = {}
    placement: dict[int, Placement] = {}
    next_group = 0
    for start in range(0, len(docs), TEXT_CHUNK):
        chunk = docs[start:start + TEXT_CHUNK]
        texts = _texts_and_notes(session, [d.id for d in chunk if d.status == "stored"])
        for doc in chunk:
            keys: list[str] = []
            match = None
            if doc.status == "stored":
                text, notes = texts[doc.id]
                keys = index_keys(text, doc.title)
                match = decide(session, text, doc.title, keys, {doc.id}, notes, manifest_of(doc))
            if match is not None and match.matched_document_id in group_of:
                group_of[doc.id] = group_of[match.matched_document_id]
                placement[doc.id] = match
            else:
                group_of[doc.id] = next_group
                next_group += 1
                placement[doc.id] = Placement("original")
            if keys:  # at once (Core): the next document's candidates are looked up among them
                session.connection().execute(insert(WorkKey.__table__),
                                             [{"document_id": doc.id, "key": k} for k in keys])
            if progress is not None:
                progress(len(group_of), len(docs))
    return group_of, placement


def _texts_and_notes(session: Session, ids: list[int]) -> dict[int, tuple[str, list[str]]]:
    """``{id: (text or "", note texts in order)}`` of the documents ``ids`` (two queries)."""
    if not ids:
        return {}
    found: dict[int, tuple[str, list[str]]] = {
        doc_id: (text or "", []) for doc_id, text in session.execute(_TEXTS, {"ids": ids})}
    for doc_id, note in session.execute(_NOTES, {"ids": ids}):
        found[doc_id][1].append(note)
    return found
