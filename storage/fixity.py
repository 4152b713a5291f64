"""``verify``: re-hash every stored file, check records against their events, walk the chain.

Every problem is reported precisely (which document, which field, expected
versus found); nothing is repaired here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from . import events
from .blobs import BlobStore, sha256_bytes, sha256_file
from .models import ChainHead, Citation, Document, Event, Footnote
from .records import field_hashes, record_hash
from .works import grouping_detail

RECORD_EVENTS = ("stored", "re-extracted")


@dataclass
class Problem:
    """One integrity problem."""

    kind: str
    message: str
    document_id: int | None = None
    field: str | None = None
    expected: str | None = None
    found: str | None = None
    path: str | None = None
    event_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class Report:
    """What verify checked and what it found."""

    documents: int
    blobs_hashed: int
    bytes_hashed: int
    events: int
    head_id: int
    head_hash: str
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        data["problems"] = [p.to_dict() for p in self.problems]
        return data


def _check_blob(store: BlobStore, sha: str, what: str, doc_id: int, seen: dict[str, str | None],
                problems: list[Problem]) -> int:
    path = store.path(sha)
    if sha not in seen:
        seen[sha] = sha256_file(path) if path.is_file() else None
        size = path.stat().st_size if path.is_file() else 0
    else:
        size = 0
    found = seen[sha]
    if found is None:
        problems.append(Problem("missing-blob", f"document {doc_id}: {what} missing at {path}", doc_id,
                                what, sha, None, str(path)))
    elif found != sha:
        problems.append(Problem("checksum-mismatch", f"document {doc_id}: {what} at {path} does not hash to its sha256",
                                doc_id, what, sha, found, str(path)))
    return size


def verify(archive: Any) -> Report:
    """Check the whole archive; see the module docstring."""
    problems: list[Problem] = []
    seen_blobs: dict[str, str | None] = {}
    seen_texts: dict[str, str | None] = {}
    nbytes = 0
    ndocs = 0
    with archive.sessions() as session:
        latest_record: dict[int, Event] = {}
        latest_group: dict[int, Event] = {}
        last_id = 0
        prev = events.GENESIS
        count = 0
        for event in session.scalars(select(Event).order_by(Event.id).execution_options(yield_per=500)):
            count += 1
            if event.id != last_id + 1:
                problems.append(Problem("chain-break", f"event ids jump from {last_id} to {event.id}: "
                                        f"{event.id - last_id - 1} event(s) missing or reordered",
                                        event_id=event.id, expected=str(last_id + 1), found=str(event.id)))
            if event.prev_hash != prev:
                problems.append(Problem("chain-break", f"event {event.id} does not follow the previous event's hash",
                                        event.document_id, "prev_hash", prev, event.prev_hash, event_id=event.id))
            actual = events.compute_hash(event)
            if actual != event.hash:
                problems.append(Problem("event-altered", f"event {event.id} ({event.kind}) was altered after it was written",
                                        event.document_id, "hash", event.hash, actual, event_id=event.id))
            prev = event.hash
            last_id = event.id
            if event.document_id is not None:
                if event.kind in RECORD_EVENTS:
                    latest_record[event.document_id] = event
                elif event.kind == "grouped":
                    latest_group[event.document_id] = event
        head = session.get(ChainHead, 1)
        if head is None or head.last_event_id != last_id or head.hash != prev:
            problems.append(Problem("chain-head", "the chain head does not match the last event",
                                    field="chain_head", expected=f"{last_id}:{prev}",
                                    found=f"{head.last_event_id}:{head.hash}" if head else None))
        docs = session.scalars(select(Document).order_by(Document.id).options(
            selectinload(Document.identifiers),
            selectinload(Document.footnotes).selectinload(Footnote.markers),
            selectinload(Document.footnotes).selectinload(Footnote.citations).selectinload(Citation.identifiers),
        ).execution_options(yield_per=200))
        referenced: set[str] = set()
        for doc in docs:
            ndocs += 1
            referenced.add(doc.sha256)
            nbytes += _check_blob(archive.blobs, doc.sha256, "original", doc.id, seen_blobs, problems)
            if doc.text_sha256:
                nbytes += _check_blob(archive.texts, doc.text_sha256, "text", doc.id, seen_texts, problems)
                if doc.text is None or sha256_bytes(doc.text.encode("utf-8")) != doc.text_sha256:
                    problems.append(Problem("record-altered", f"document {doc.id}: text in the database does not "
                                            "hash to text_sha256", doc.id, "text", doc.text_sha256,
                                            sha256_bytes((doc.text or "").encode("utf-8"))))
            event = latest_record.get(doc.id)
            if event is None:
                problems.append(Problem("record-unlogged", f"document {doc.id} has no event that wrote it", doc.id))
            else:
                found = record_hash(doc)
                if found != event.record_hash:
                    problems.append(Problem("record-altered", f"document {doc.id}: record differs from what event "
                                            f"{event.id} wrote", doc.id, _changed_field(doc, event),
                                            event.record_hash, found, event_id=event.id))
            group = latest_group.get(doc.id)
            if group is not None:
                expected = {k: group.detail.get(k) for k in ("work_id", "version", "relation", "related_document_id")}
                actual = grouping_detail(doc)
                for key, value in expected.items():
                    if actual[key] != value:
                        problems.append(Problem("grouping-altered", f"document {doc.id}: {key} is {actual[key]!r}, "
                                                f"event {group.id} says {value!r}", doc.id, key, str(value),
                                                str(actual[key]), event_id=group.id))
        for sha, path in archive.blobs.walk():
            if sha not in referenced:
                problems.append(Problem("orphan-blob", f"blob {path} has no record (interrupted run?); "
                                        "`archivist repair` removes it or a re-run adopts it", path=str(path),
                                        found=sha))
    return Report(ndocs, len(seen_blobs) + len(seen_texts), nbytes, count, last_id, prev, problems)


def _changed_field(doc: Document, event: Event) -> str:
    """The record fields whose hashes differ from those the event stored."""
    stored = (event.detail or {}).get("fields") or {}
    changed = [k for k, v in field_hashes(doc).items() if stored.get(k) != v]
    return ",".join(changed) or "record"
