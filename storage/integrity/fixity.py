"""``verify``: re-hash every stored file, check records against their events, walk the chain.

Every problem is reported precisely (which document, which field, expected
versus found); nothing is repaired here (``storage.integrity.repair`` does what can be
done). :func:`record_verification` appends the outcome of a run to the chain
as a ``verified`` event (the Prefect fixity flow always does).

Speed: each distinct file is hashed once, with a large buffer and
``readinto`` (no per-chunk allocation), by a small thread pool (hashlib
releases the GIL), while the database pass runs; small files go many to a
job (a job a file cost more than hashing it). Each store is surveyed for
orphans and strays in one ``os.scandir`` pass. The pass reads plain rows,
not ORM objects: the chain streamed with ``yield_per`` (a server-side cursor
on PostgreSQL), only a few fields per event kept in memory; the records a
chunk at a time (:mod:`storage.integrity.record_rows`). The database pass runs in a read session
(``Archive.reading``: on SQLite a plain ``BEGIN``, never the write lock), and
is kept short all the same: files are hashed after its session is closed
whenever hashing is the slower part.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import events
from storage.blobs import TEMP_PREFIX, BlobStore, sha256_bytes
from storage.integrity import record_rows
from storage.integrity.inflight import DEFAULT_GRACE_SECONDS, live_runs
from storage.integrity.timestamps import findings as timestamp_findings
from storage.database import transaction
from storage.models import ChainHead, Document, Event
from storage.records import field_hashes, record_hash
from storage.works.index import grouping_detail

if TYPE_CHECKING:
    from storage.archive import Archive

RECORD_EVENTS = ("stored", "re-extracted")
# archivist never removes a record, so no event kind explains a missing row: a kind it does not write
# ("deleted", "purged", ...) is itself a finding (``storage.events.KINDS``).
HASH_BUFFER = 1 << 20
HASH_JOB_FILES = 64  # files a hashing job at most (see _Hasher) ...
HASH_JOB_BYTES = 32 << 20  # ... and bytes (when known): large files are still hashed side by side
FIRST_PROBLEMS_IN_EVENT = 20


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
    in_flight: int = 0  # orphan blobs and texts, temp files, of a live ingest, younger than the grace period
    notes: list[Problem] = field(default_factory=list)  # leftover temp files, orphan texts: reported, not failing

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        data["problems"] = [p.to_dict() for p in self.problems]
        data["notes"] = [p.to_dict() for p in self.notes]
        return data


def hash_file(path: Path | str, buffer_size: int = HASH_BUFFER,
              buffer: bytearray | None = None) -> tuple[str | None, int]:
    """``(hex SHA-256, size)`` of a file, or ``(None, 0)`` when it is not there.

    One reusable buffer (``buffer``, or a new one of ``buffer_size``),
    unbuffered ``readinto``: the hashing itself is the only per-byte work,
    and it runs without the GIL.
    """
    digest = hashlib.sha256()
    buf = bytearray(buffer_size) if buffer is None else buffer
    view = memoryview(buf)
    size = 0
    try:
        with open(path, "rb", buffering=0) as fh:
            while n := fh.readinto(buf):
                digest.update(view[:n])
                size += n
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None, 0
    return digest.hexdigest(), size


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


@dataclass
class _DocCheck:
    """What the database pass learned about one document (hash results come later)."""

    id: int
    sha256: str
    text_sha256: str | None
    db_problems: list[Problem]  # text-in-db, record and grouping problems, in report order


class _Hasher:
    """Hashes each distinct file of one store once, in a thread pool, up to ``HASH_JOB_FILES`` files a job.

    One job a file cost more than hashing a small file (a future, a lock, a
    thread hand-off each); a job of many files keeps the pool busy with the
    hashing itself. A job is submitted when it is full (in files, or in
    ``HASH_JOB_BYTES`` of the sizes given), or when a result of it is asked for.
    """

    def __init__(self, pool: ThreadPoolExecutor, store: BlobStore):
        self.pool = pool
        self.store = store
        self.jobs: dict[str, Future[dict[str, tuple[str | None, int]]] | None] = {}  # sha -> its job
        self._waiting: list[str] = []  # of the job not yet submitted
        self._waiting_bytes = 0

    def submit(self, sha: str, size: int | None = None) -> None:
        """Hash the file named ``sha`` (``size``: its expected size, when known)."""
        if sha not in self.jobs:
            self.jobs[sha] = None
            self._waiting.append(sha)
            self._waiting_bytes += size or 0
            if len(self._waiting) >= HASH_JOB_FILES or self._waiting_bytes >= HASH_JOB_BYTES:
                self._flush()

    def result(self, sha: str) -> tuple[str | None, int]:
        """``(hex SHA-256 or None, size)`` of the file named ``sha`` (submitted before)."""
        job = self.jobs[sha]
        if job is None:
            self._flush()
            job = self.jobs[sha]
        return job.result()[sha]  # type: ignore[union-attr]

    def files(self) -> int:
        """How many distinct files were submitted."""
        return len(self.jobs)

    def bytes_hashed(self) -> int:
        """Bytes of every file submitted (waits for all of them)."""
        self._flush()
        jobs = {job for job in self.jobs.values() if job is not None}
        return sum(size for job in jobs for _found, size in job.result().values())

    def _flush(self) -> None:
        if not self._waiting:
            return
        shas, self._waiting, self._waiting_bytes = self._waiting, [], 0
        root = str(self.store.root)
        paths = [(sha, os.path.join(root, self.store.relpath(sha))) for sha in shas]
        job = self.pool.submit(_hash_files, paths)
        for sha in shas:
            self.jobs[sha] = job


def _hash_files(paths: list[tuple[str, str]]) -> dict[str, tuple[str | None, int]]:
    buf = bytearray(HASH_BUFFER)
    results = {}
    for sha, path in paths:
        found, size = hash_file(path, buffer=buf)
        # a match holds the name it was asked by, not a second copy of it: every result waits for the checks
        results[sha] = (sha if found == sha else found, size)
    return results


def _blob_problem(store: BlobStore, sha: str, what: str, doc_id: int, found: str | None) -> Problem | None:
    path = store.path(sha)
    if found is None:
        return Problem("missing-blob", f"document {doc_id}: {what} missing at {path}", doc_id, what, sha, None,
                       str(path))
    if found != sha:
        return Problem("checksum-mismatch", f"document {doc_id}: {what} at {path} does not hash to its sha256",
                       doc_id, what, sha, found, str(path))
    return None


def verify(archive: Archive, workers: int | None = None, grace_seconds: float = DEFAULT_GRACE_SECONDS,
           now: float | None = None, tsa_ca: tuple[str, ...] = (),
           progress: Callable[[int, int], None] | None = None) -> Report:
    """Check the whole archive; see the module docstring. ``tsa_ca``: the TSA CA certificate files the
    time-stamp tokens are checked against (:mod:`storage.integrity.timestamps`). ``progress`` is told
    ``(records checked, records)`` as the hashes of each record's files come in.

    This function is "long": one pass that interleaves the database walk with the file hashing.
    """
    problems: list[Problem] = []
    checks: list[_DocCheck] = []
    with ThreadPoolExecutor(max_workers=workers or default_workers(), thread_name_prefix="verify") as pool:
        originals = _Hasher(pool, archive.blobs)
        texts = _Hasher(pool, archive.texts)
        with archive.reading() as session:
            count, last_id, prev, latest_record, latest_group, mentioned = _walk_chain(session, problems)
            head = session.get(ChainHead, 1)
            if head is None or head.last_event_id != last_id or head.hash != prev:
                problems.append(Problem("chain-head", "the chain head does not match the last event",
                                        field="chain_head", expected=f"{last_id}:{prev}",
                                        found=f"{head.last_event_id}:{head.hash}" if head else None))
            for doc in record_rows.documents(session):
                originals.submit(doc.sha256, doc.size)
                if doc.text_sha256:
                    texts.submit(doc.text_sha256)
                checks.append(_DocCheck(doc.id, doc.sha256, doc.text_sha256,
                                        _check_record(doc, latest_record.pop(doc.id, None),
                                                      latest_group.get(doc.id), session)))
                mentioned.pop(doc.id, None)
        # Records some event wrote or named whose rows are gone: archivist never removes one.
        for doc_id, (event_id, _rh) in sorted(latest_record.items()):
            mentioned.pop(doc_id, None)
            problems_missing = Problem("record-missing", f"document {doc_id} was written by event {event_id} "
                                       "but its row is gone", doc_id, event_id=event_id)
            checks.append(_DocCheck(doc_id, "", None, [problems_missing]))
        for doc_id, event_id in sorted(mentioned.items()):
            checks.append(_DocCheck(doc_id, "", None, [Problem(
                "record-missing", f"document {doc_id} is named by event {event_id} but its row is gone",
                doc_id, event_id=event_id)]))
        checks.sort(key=lambda c: c.id)
        nbytes = 0
        referenced: set[str] = set()
        texts_named: set[str] = set()
        for done, check in enumerate(checks, 1):
            if progress is not None:
                progress(done, len(checks))
            if check.sha256:
                referenced.add(check.sha256)
                found, _size = originals.result(check.sha256)
                problem = _blob_problem(archive.blobs, check.sha256, "original", check.id, found)
                if problem:
                    problems.append(problem)
            if check.text_sha256:
                texts_named.add(check.text_sha256)
                found, _size = texts.result(check.text_sha256)
                problem = _blob_problem(archive.texts, check.text_sha256, "text", check.id, found)
                if problem:
                    problems.append(problem)
            problems.extend(check.db_problems)
        for hasher in (originals, texts):
            nbytes += hasher.bytes_hashed()
        nfiles = originals.files() + texts.files()
    report = Report(sum(1 for c in checks if c.sha256), nfiles, nbytes, count, last_id, prev, problems)
    _check_files(archive, referenced, texts_named, grace_seconds, time.time() if now is None else now, report)
    for found in timestamp_findings(archive, tsa_ca):
        (report.notes if found.note else report.problems).append(Problem(found.kind, found.message,
                                                                          event_id=found.event_id))
    return report


def _check_files(archive: Archive, referenced: set[str], texts_named: set[str], grace_seconds: float, now: float,
                 report: Report) -> None:
    """Orphan blobs, orphan texts, stray files and leftover temp files; those of a live ingest within the
    grace period are in flight (an ingest stores bytes before it records them).

    An orphan text (no record names it: an extraction worker wrote it for a
    record an interrupted run never stored) is a note, not a problem: a text
    is derived from an original, and nothing refers to this one.
    """
    live = bool(live_runs(archive.home))

    def in_flight(path: Path) -> bool:
        try:
            return live and now - path.stat().st_mtime < grace_seconds
        except OSError:
            return True  # gone meanwhile: it was a temp file being renamed into place

    def orphans(store: BlobStore, placed: list[str], named: set[str]) -> Iterator[tuple[str, Path]]:
        """The files at their place that nothing names, but those in flight (counted)."""
        for sha in sorted(set(placed) - named):
            path = store.path(sha)
            if in_flight(path):
                report.in_flight += 1
            else:
                yield sha, path

    placed, blob_strays = archive.blobs.survey()
    for sha, path in orphans(archive.blobs, placed, referenced):
        report.problems.append(Problem("orphan-blob", f"blob {path} has no record (interrupted run?); "
                                       "`archivist repair` quarantines it or a re-run adopts it",
                                       path=str(path), found=sha))
    placed_texts, text_strays = archive.texts.survey()
    for sha, path in orphans(archive.texts, placed_texts, texts_named):
        report.notes.append(Problem("orphan-text", f"text {path} belongs to no record (left by an interrupted "
                                    "run); `archivist repair` quarantines it", path=str(path), found=sha))
    for store, strays in ((archive.blobs, blob_strays), (archive.texts, text_strays)):
        for path in strays:
            if in_flight(path):
                report.in_flight += 1
            elif path.name.startswith(TEMP_PREFIX):
                report.notes.append(Problem("temp-file", f"leftover temp file {path} (a write was interrupted); "
                                            "`archivist repair` quarantines it", path=str(path)))
            elif path.name not in referenced or store is not archive.blobs:
                report.problems.append(Problem("stray-file", f"{path} is not a file archivist wrote here "
                                               "(not named by its hash, or not at its place)", path=str(path)))


GROUP_FIELDS = ("work_id", "version", "relation", "related_document_id")


def _walk_chain(session: Session, problems: list[Problem]) -> tuple[
        int, int, str, dict[int, tuple[int, str | None]], dict[int, tuple[int, tuple[Any, ...]]], dict[int, int]]:
    """Re-hash every event in order; keep only what the record checks need (and every document id named):
    per document its last record event's id and hash and its last grouping, held for the whole archive
    at once, so no more than that (the field hashes are read back only for a record that differs)."""
    latest_record: dict[int, tuple[int, str | None]] = {}
    mentioned: dict[int, int] = {}
    latest_group: dict[int, tuple[int, tuple[Any, ...]]] = {}
    last_id = 0
    prev = events.GENESIS
    count = 0
    # plain rows, not ORM objects: the chain is the longest table, and each event is read once
    for event in session.connection().execute(select(*Event.__table__.columns).order_by(Event.id)
                                              .execution_options(yield_per=1000)):
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
            problems.append(Problem("event-altered",
                                    f"event {event.id} ({event.kind}) was altered after it was written",
                                    event.document_id, "hash", event.hash, actual, event_id=event.id))
        if event.kind not in events.KINDS:
            problems.append(Problem("unknown-event-kind", f"event {event.id} has kind {event.kind!r}, which "
                                    "archivist never writes (a forged event?)", event.document_id, "kind",
                                    None, event.kind, event_id=event.id))
        prev = event.hash
        last_id = event.id
        if event.document_id is not None:
            mentioned.setdefault(event.document_id, event.id)
            if event.kind in RECORD_EVENTS:
                latest_record[event.document_id] = (event.id, event.record_hash)
            elif event.kind == "grouped":
                detail = event.detail or {}
                latest_group[event.document_id] = (event.id, tuple(
                    sys.intern(v) if isinstance(v, str) else v for v in (detail.get(k) for k in GROUP_FIELDS)))
    return count, last_id, prev, latest_record, latest_group, mentioned


def _check_record(doc: Document, record_event: tuple[int, str | None] | None,
                  group: tuple[int, tuple[Any, ...]] | None, session: Session) -> list[Problem]:
    problems: list[Problem] = []
    if doc.text_sha256:
        text_hash = sha256_bytes((doc.text or "").encode("utf-8"))
        if doc.text is None or text_hash != doc.text_sha256:
            problems.append(Problem("record-altered", f"document {doc.id}: text in the database does not "
                                    "hash to text_sha256", doc.id, "text", doc.text_sha256, text_hash))
    if record_event is None:
        problems.append(Problem("record-unlogged", f"document {doc.id} has no event that wrote it", doc.id))
    else:
        event_id, expected = record_event
        found = record_hash(doc)
        if found != expected:
            detail = session.scalar(select(Event.detail).where(Event.id == event_id)) or {}
            fields = detail.get("fields") or {}
            changed = [k for k, v in field_hashes(doc).items() if fields.get(k) != v]
            problems.append(Problem("record-altered", f"document {doc.id}: record differs from what event "
                                    f"{event_id} wrote", doc.id, ",".join(changed) or "record",
                                    expected, found, event_id=event_id))
    if group is not None:
        group_id, expected_group = group
        actual = grouping_detail(doc)
        for key, value in zip(GROUP_FIELDS, expected_group):
            if actual[key] != value:
                problems.append(Problem("grouping-altered", f"document {doc.id}: {key} is {actual[key]!r}, "
                                        f"event {group_id} says {value!r}", doc.id, key, str(value),
                                        str(actual[key]), event_id=group_id))
    return problems


def verification_detail(report: Report, max_problems: int = FIRST_PROBLEMS_IN_EVENT) -> dict[str, Any]:
    """What a ``verified`` event records: counts, problem kinds and the first problems."""
    return {
        "documents": report.documents,
        "files_hashed": report.blobs_hashed,
        "bytes_hashed": report.bytes_hashed,
        "events": report.events,
        "head_id": report.head_id,
        "head_hash": report.head_hash,
        "problems": len(report.problems),
        "problem_kinds": dict(sorted(Counter(p.kind for p in report.problems).items())),
        "first_problems": [p.to_dict() for p in report.problems[:max_problems]],
    }


def record_verification(archive: Archive, report: Report, *, run_id: int | None = None,
                        extra: dict[str, Any] | None = None) -> int:
    """Append a ``verified`` event (outcome ``ok`` or ``problems``) in its own transaction; return its id."""
    detail = verification_detail(report) | (extra or {})
    with transaction(archive.sessions) as session:
        event = events.append_event(session, "verified", "ok" if report.ok else "problems", run_id=run_id,
                                    detail=detail)
        return event.id
