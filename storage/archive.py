"""The archive: one database plus one blob store, and the writes that keep them in step.

Every write method runs in one transaction, appends its events to the chain
in that same transaction, and stores blobs *before* the transaction (blobs
are content-addressed and idempotent, so a crash can leave at worst an
orphan blob, which ``verify`` reports and ``repair`` removes; never a record
without its blob).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from sqlalchemy import Engine, bindparam, func, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from storage import events, new_rows, search
from storage.search import index as search_index
from storage.citations import linking as citation_links
from storage.citations import match_index
from storage.citations import queries as citation_queries
from storage.works import index as work_index
from storage.works import prematch
from storage.works.prematch import Prematch
from storage.blobs import BlobStore, make_private_dir
from storage.database import (
    display_url,
    ensure_schema,
    make_engine,
    read_session,
    sqlite_path,
    sqlite_url,
    transaction,
)
from storage.errors import ArchiveMissing, ArchiveUnavailable, DocumentNotFound, StorageError
from storage.integrity import inflight
from storage.models import (
    StoredCitation,
    CitationIdentifier,
    Document,
    DocumentIdentifier,
    Fetch,
    StoredFootnote,
    FootnoteMarker,
    Run,
    Work,
    utcnow,
)
from storage.provenance import AccessNotRecorded, Provenance, derivation_of, document_custody, fetch_custody
from storage.records import field_hashes, record_hash

if TYPE_CHECKING:
    from extractors.record import ExtractedDocument

log = logging.getLogger(__name__)

_SEEN_COLUMNS = (Document.id, Document.sha256, Document.status, Document.error, Document.work_id, Document.relation,
                 Document.extractor, Document.derivation)

DEFAULT_HOME = "archive"

_ARCHIVED_FILE = (select(Document.sha256).join(Fetch, Fetch.document_id == Document.id)
                  .where(Fetch.source == bindparam("source"), Fetch.etag == bindparam("status"),
                         Document.status == "stored").limit(1))


@dataclass
class BatchEntry:
    """One document of :meth:`Archive.store_batch`: its kept bytes' hash and size, where they came from,
    and the extracted ``record``, or the ``error`` that stopped extraction, or neither (bytes seen before)."""

    sha256: str
    size: int
    prov: Provenance
    record: ExtractedDocument | None = None
    error: str | None = None
    keys: tuple[str | None, list[str]] | None = None  # (title, grouping keys) computed by the extraction worker
    prematch: Prematch | None = None  # its candidates compared by the extraction worker (storage.works.prematch)
    read: bool = True  # False: bytes seen before, not read again (their file status is the one recorded)


@dataclass
class StoreOutcome:
    """What happened to one input: ``stored`` (a new work), ``new_version``
    (joined an existing work as a revision or rendition), ``unchanged``
    (bytes already archived) or ``failed`` (kept, but not extracted)."""

    status: str
    document_id: int | None
    sha256: str
    work_id: int | None = None
    relation: str | None = None
    error: str | None = None


def resolve_home(home: str | os.PathLike[str] | None) -> Path:
    """``--home``, else ``$ARCHIVIST_HOME``, else ``./archive``."""
    return Path(home or os.environ.get("ARCHIVIST_HOME") or DEFAULT_HOME)


def resolve_db_url(home: Path, db_url: str | None) -> str:
    """``--db``, else ``$ARCHIVIST_DB_URL``, else SQLite inside the home."""
    return db_url or os.environ.get("ARCHIVIST_DB_URL") or sqlite_url(home)


class Archive:
    """Open with :meth:`open`; close with :meth:`close` (or use ``with``)."""

    def __init__(self, home: Path, engine: Engine):
        self.home = home
        self.engine = engine
        self.blobs = BlobStore(home / "blobs")
        self.texts = BlobStore(home / "texts")
        # Writes: ``transaction(self.sessions)`` (SQLite: BEGIN IMMEDIATE, the write lock).
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        # Reads: ``self.reading()`` (SQLite: plain BEGIN, never the write lock).
        self.read_engine = engine.execution_options(readonly=True)
        self.readers = sessionmaker(self.read_engine, expire_on_commit=False)
        self.readonly = False  # opened for queries only (``open(readonly=True)``); see record_access
        self._access_engine: Engine | None = None
        self._recent = prematch.RecentKeys()  # grouping keys of the documents this process stored last
        self._written_keys: tuple[int, list[str]] | None = None  # of the entry store_batch is storing
        # store_batch indexes its new documents for search after its last savepoint (search_index.write_new_entries)
        self._search_entry: tuple[int, dict[str, list[str]]] | None = None  # of the entry being stored
        self._in_batch = False  # store_batch is storing

    @classmethod
    def open(cls, home: str | os.PathLike[str] | None = None, db_url: str | None = None,
             create: bool = True, readonly: bool = False) -> Archive:
        """Open the archive at ``home``: with ``create`` initialize it when missing (only ``ingest`` and
        ``init`` do), else refuse a home or database that holds none (:class:`ArchiveMissing`);
        ``readonly`` opens the database for queries only (nothing written, no -wal files created)."""
        path = resolve_home(home)
        if path.exists() and not path.is_dir():
            raise ArchiveUnavailable(f"{path}: is a file, not an archive home (give --home DIR)")
        url = resolve_db_url(path, db_url)
        db_file = sqlite_path(url)
        create = create and not readonly
        if create:
            make_private_dir(path)
            if db_file is not None and not db_file.exists():
                make_private_dir(db_file.parent)
                # Created 0600 before SQLite opens it: its -wal and -shm files take the same mode.
                os.close(os.open(db_file, os.O_WRONLY | os.O_CREAT, 0o600))
        elif db_file is not None and not db_file.is_file():
            raise ArchiveMissing(f"{path}: no archive here (no {db_file.name}); "
                                 "`archivist init` or `archivist ingest` creates one")
        engine = make_engine(url, "read" if readonly else "create" if create else "write")
        try:
            ensure_schema(engine, create=create)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise ArchiveUnavailable(f"{display_url(engine)}: cannot open the "
                                     f"database: {getattr(exc, 'orig', None) or exc}") from exc
        except StorageError:
            engine.dispose()
            raise
        archive = cls(path, engine)
        archive.readonly = readonly
        return archive

    @property
    def url(self) -> str:
        return display_url(self.engine)

    def close(self) -> None:
        self.engine.dispose()
        if self._access_engine is not None:
            self._access_engine.dispose()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for queries (reads, verify, export): no write lock, nothing committed."""
        with read_session(self.readers) as session:
            yield session

    # -- runs -------------------------------------------------------------

    def begin_run(self, sources: list[str], trigger: str = "manual", flow_run_id: str | None = None,
                  items: int | None = None) -> int:
        """Record the start of an ingest run; return its id.

        ``sources``: what the run was asked to ingest, as given (a folder, not
        each of its files: every item gets its own fetch row, or a failure, with
        the run's id); ``items``: how many items they expanded to (default: one each).

        Runs left ``running`` by a process that is gone are first marked
        ``interrupted``; this run's in-progress marker is written under the
        write lock, so no other starting run can take it for a dead one.
        """
        with transaction(self.sessions) as session:
            events.lock_head(session)
            self._mark_interrupted(session)
            count = len(sources) if items is None else items
            run = Run(sources=list(sources), items=count, trigger=trigger, flow_run_id=flow_run_id)
            session.add(run)
            session.flush()
            events.append_event(session, "run-started", "ok", run_id=run.id,
                                detail={"sources": list(sources), "items": count, "trigger": trigger})
            inflight.write_marker(self.home, run.id)
            return run.id

    def _mark_interrupted(self, session: Session) -> None:
        alive = inflight.live_runs(self.home)
        for run in session.scalars(select(Run).where(Run.status == "running").order_by(Run.id)):
            if run.id in alive:
                continue
            run.status = "interrupted"
            run.finished_at = utcnow()
            events.append_event(session, "run-interrupted", "interrupted", run_id=run.id,
                                detail={"reason": "its process ended before the run finished"})
            inflight.remove_marker(self.home, run.id)
            log.warning("run %s was interrupted (its process is gone); marked interrupted", run.id)

    def finish_run(self, run_id: int, counts: dict[str, int], failures: list[dict[str, Any]],
                   status: str = "completed", duration_s: float | None = None,
                   warnings: list[str] | None = None) -> None:
        """Record the end of a run with its counts, failures and warnings (what it left out or repaired)."""
        warnings = list(warnings or [])
        with transaction(self.sessions) as session:
            run = session.get(Run, run_id)
            run.finished_at = utcnow()
            run.counts = dict(counts)
            run.failures = list(failures)
            run.warnings = warnings
            run.status = status
            events.append_event(session, "run-finished", status, run_id=run_id,
                                detail={"counts": counts, "failures": failures, "warnings": warnings,
                                        "duration_s": duration_s})
        inflight.remove_marker(self.home, run_id)

    # -- writes -----------------------------------------------------------

    def record_fetch_failure(self, source: str, error: str, run_id: int | None = None,
                             warc_path: str | None = None) -> None:
        """A source that yielded no document: a fetch row and an event (and the WARC of what arrived)."""
        with transaction(self.sessions) as session:
            session.add(Fetch(document_id=None, source=source, run_id=run_id, headers={"error": error},
                              warc_path=warc_path))
            events.append_event(session, "fetch-failed", "failed", run_id=run_id,
                                detail={"source": source, "error": error, "warc_path": warc_path})

    def put_original(self, data: bytes, sync: bool = True) -> str:
        """Store the original bytes (before any parsing); return their SHA-256.

        ``sync=False``: its fsync is owed to the next write that records it
        (every write method here syncs owed blobs before it commits).
        """
        return self.blobs.put(data, sync=sync)

    def owe_original(self, data: bytes, sha256: str) -> None:
        """Make sure the original ``data`` (named ``sha256``, its hash) is in the store, its fsync owed to the
        next write that records it: adopted when another process (an extraction worker) put it, else put here."""
        self.blobs.put(data, sha256, sync=False)

    def sync_blobs(self) -> None:
        """Make every blob written with ``sync=False`` durable (before a transaction that records them commits)."""
        self.blobs.sync()
        self.texts.sync()

    def stored_shas(self) -> set[str]:
        """The SHA-256 of every document stored (extracted) in the archive: one query."""
        with self.reading() as session:
            return set(session.scalars(select(Document.sha256).where(Document.status == "stored")))

    def last_validators(self, url: str) -> tuple[str | None, str | None, int | None]:
        """ETag, Last-Modified and document of the latest successful fetch of ``url``."""
        with self.reading() as session:
            row = session.execute(
                select(Fetch.etag, Fetch.last_modified, Fetch.document_id)
                .join(Document, Document.id == Fetch.document_id)
                .where(Fetch.source == url, Document.status == "stored")
                .order_by(Fetch.id.desc()).limit(1)
            ).first()
            return (row[0], row[1], row[2]) if row else (None, None, None)

    def record_not_modified(self, url: str, document_id: int, prov: Provenance,
                            run_id: int | None = None) -> StoreOutcome:
        """A conditional GET answered 304: the archived copy is current."""
        with transaction(self.sessions) as session:
            doc = session.get(Document, document_id)
            self._add_fetch(session, document_id, prov, run_id)
            events.append_event(session, "not-modified", "unchanged", document_id=document_id,
                                work_id=doc.work_id, run_id=run_id, detail={"source": url})
            return StoreOutcome("unchanged", document_id, doc.sha256, doc.work_id, doc.relation)

    def find_sha(self, sha256: str) -> Document | None:
        with self.reading() as session:
            return session.scalar(select(Document).where(Document.sha256 == sha256))

    def record_seen_again(self, sha256: str, prov: Provenance, run_id: int | None = None,
                          read: bool = True) -> StoreOutcome:
        """The same bytes arrived again: no new record, one fetch row and one event
        (``read=False``: a file not read again, its status the one recorded with these bytes)."""
        self.sync_blobs()
        with transaction(self.sessions) as session:
            events.lock_head(session)
            return self._seen_again_in(session, sha256, prov, run_id, read=read)

    def archived_file(self, source: str, status: str) -> str | None:
        """The SHA-256 of the stored document a fetch of the file ``source`` in ``status`` brought in, if
        one did and its original is in the store: bytes a run need not read again (``flows.fetching.files``).
        One indexed query (no write lock)."""
        with self.read_engine.connect() as conn:
            sha = conn.execute(_ARCHIVED_FILE, {"source": source, "status": status}).scalar()
        # an original gone from the store is not vouched for: the file is read, and its bytes put back
        return sha if sha is not None and self.blobs.exists(sha) else None

    def _seen_again_in(self, session: Session, sha256: str, prov: Provenance, run_id: int | None,
                       doc: Any = None, fetch_rows: list[dict[str, Any]] | None = None,
                       read: bool = True) -> StoreOutcome:
        """(Writes only once the document is found: an entry that raises has written nothing.)
        ``doc``: the document, or its row of :data:`_SEEN_COLUMNS` (a batch reads those, not objects)."""
        doc = doc or session.scalar(select(Document).where(Document.sha256 == sha256))
        if doc is None:
            raise DocumentNotFound(sha256)
        if doc.status == "failed":  # bytes that failed before (e.g. twice in one run): say so
            return self._seen_in(session, doc, prov, run_id)
        self._add_fetch(session, doc.id, prov, run_id, fetch_rows, doc)
        detail: dict[str, Any] = {"source": prov.source}
        if not read:
            detail["not_read"] = f"its file status is the one recorded when these bytes were read ({prov.etag})"
        events.append_event(session, "seen-again", "unchanged", document_id=doc.id, work_id=doc.work_id,
                            run_id=run_id, detail=detail)
        return StoreOutcome("unchanged", doc.id, sha256, doc.work_id, doc.relation)

    def store_batch(self, entries: list[BatchEntry], run_id: int | None = None) -> list[StoreOutcome | Exception]:
        """Store several documents in one transaction (a group commit): one outcome per entry, in order.

        Each entry is a record to store (``record``), a failure to record
        (``error``) or bytes seen before (neither). Blobs written with
        ``sync=False`` are made durable first, the chain head is locked once,
        and each entry runs in its own savepoint: an entry the database
        refuses comes back as its exception, the others are stored.
        """
        # a text an extraction worker wrote is in place: put adopts it, owing its fsync to sync_blobs
        texts = [self.texts.put(e.record.text.encode("utf-8"), sync=False) if e.record is not None else None
                 for e in entries]
        self.sync_blobs()
        outcomes: list[StoreOutcome | Exception] = []
        self._in_batch = True
        try:
            self._store_batch_in(entries, texts, outcomes, run_id)
        except BaseException:
            self._recent.discard()
            raise
        finally:
            self._in_batch = False
        self._recent.commit()
        return outcomes

    def _store_batch_in(self, entries: list[BatchEntry], texts: list[str | None],
                        outcomes: list[StoreOutcome | Exception], run_id: int | None) -> None:
        with transaction(self.sessions) as session:
            events.lock_head(session)
            event_rows = events.buffer_events(session)
            try:
                self._store_entries_in(session, entries, texts, outcomes, run_id, event_rows)
                events.insert_buffered(session)
            finally:
                events.stop_buffering(session)

    def _store_entries_in(self, session: Session, entries: list[BatchEntry], texts: list[str | None],
                          outcomes: list[StoreOutcome | Exception], run_id: int | None,
                          event_rows: list[dict[str, Any]]) -> None:
        seen = {e.sha256 for e in entries if e.record is None and e.error is None}
        fetch_rows: list[dict[str, Any]] = []  # of the entries seen again, inserted together
        # only what a seen-again entry reads (and fetch_custody), not the text of each document of a re-run
        known = {d.sha256: d for d in session.execute(select(*_SEEN_COLUMNS).where(Document.sha256.in_(seen)))
                 } if seen else {}
        # the documents already holding the records' bytes (failed ones re-extracting), one query per batch
        shas = {e.sha256 for e in entries if e.record is not None}
        prior = {d.sha256: d for d in session.scalars(select(Document).where(Document.sha256.in_(shas)))} \
            if shas else {}
        done: set[str] = set()  # bytes stored earlier in this batch: looked up again, not from ``prior``
        search_rows: list[tuple[int, dict[str, list[str]]]] = []  # new documents, indexed after the loop
        heads = [e.prematch.head for e in entries if e.prematch is not None]
        use_prematch = prematch.still_valid(session, heads)
        committed: set[int] = set()  # documents after the oldest snapshot (to rank from memory)
        if use_prematch and heads:
            oldest = min(e.prematch.hwm for e in entries if e.prematch is not None)
            committed = set(session.scalars(select(Document.id).where(Document.id > oldest)))
        for entry, text_sha in zip(entries, texts):
            # seen again, as the batch found it: not when an entry before it in the batch had these bytes
            # (a failed document re-extracted), nor for an entry that brings a record or an error
            row = known.get(entry.sha256) if entry.record is None and entry.error is None \
                and entry.sha256 not in done else None
            if row is None:  # before a new document looks fetches up (links); not its failure
                self._insert_fetches(session, fetch_rows)
            try:
                if row is not None:  # one fetch row and one event, no savepoint needed
                    outcomes.append(self._seen_again_in(session, entry.sha256, entry.prov, run_id, row, fetch_rows,
                                                        entry.read))
                    continue
                looked_up = entry.sha256 not in done
                done.add(entry.sha256)
                held = prior.get(entry.sha256)
                if entry.record is not None and held is not None and held.status == "failed":
                    use_prematch = False  # a re-extraction changes a document the later snapshots hold
                if use_prematch and entry.prematch is not None and entry.keys is not None:
                    entry.prematch.newer = self._recent.newer(entry.keys[1], entry.prematch.hwm, committed)
                self._written_keys = self._search_entry = None
                events_before, attached_before = len(event_rows), new_rows.mark(session)
                try:
                    with session.begin_nested():
                        outcome = self._store_entry_in(session, entry, text_sha, run_id,
                                                       (held,) if looked_up else None, use_prematch)
                except Exception:
                    del event_rows[events_before:]  # rolled back with the entry's savepoint
                    new_rows.forget(session, attached_before)
                    raise
                if self._written_keys is not None:  # the savepoint held: these keys are in the batch
                    self._recent.stage(*self._written_keys)
                if self._search_entry is not None:
                    search_rows.append(self._search_entry)
                outcomes.append(outcome)
            except Exception as exc:  # noqa: BLE001 - this entry only; the caller records it as failed
                outcomes.append(exc)
        self._insert_fetches(session, fetch_rows)
        search_index.write_new_entries(session, search_rows)

    def _store_entry_in(self, session: Session, entry: BatchEntry, text_sha: str | None,
                        run_id: int | None, prior: tuple[Document | None] | None = None,
                        use_prematch: bool = False) -> StoreOutcome:
        if entry.record is not None and text_sha is not None:
            return self._store_extracted_in(session, entry.sha256, entry.size, entry.prov, entry.record,
                                            text_sha, run_id, entry.keys, prior,
                                            entry.prematch if use_prematch else None)
        if entry.error is not None:
            return self._store_failed_in(session, entry.sha256, entry.size, entry.prov, entry.error, None, run_id)
        return self._seen_again_in(session, entry.sha256, entry.prov, run_id, read=entry.read)

    def store_failed(self, sha256: str, size: int, prov: Provenance, error: str,
                     media_type: str | None = None, run_id: int | None = None) -> StoreOutcome:
        """Record bytes that could not be extracted; they are kept all the same."""
        self.sync_blobs()
        with transaction(self.sessions) as session:
            events.lock_head(session)
            return self._store_failed_in(session, sha256, size, prov, error, media_type, run_id)

    def _store_failed_in(self, session: Session, sha256: str, size: int, prov: Provenance, error: str,
                         media_type: str | None, run_id: int | None) -> StoreOutcome:
        existing = session.scalar(select(Document).where(Document.sha256 == sha256))
        if existing is not None:
            return self._seen_in(session, existing, prov, run_id)
        work = Work(title=prov.filename or prov.source)
        session.add(work)
        session.flush()
        doc = self._new_document(sha256, size, prov, work.id)
        doc.status = "failed"
        doc.error = error
        doc.media_type = media_type or prov.media_type or "application/octet-stream"
        session.add(doc)
        session.flush()
        self._add_fetch(session, doc.id, prov, run_id)
        events.append_event(session, "stored", "failed", document_id=doc.id, work_id=work.id, run_id=run_id,
                            detail={"source": prov.source, "error": error, "fields": field_hashes(doc)},
                            record_hash=record_hash(doc))
        work_index.record_grouping(session, doc, run_id)
        self._written_keys = (doc.id, [])  # a document without grouping keys
        return StoreOutcome("failed", doc.id, sha256, work.id, "original", error)

    def store_extracted(self, sha256: str, size: int, prov: Provenance, record: ExtractedDocument,
                        run_id: int | None = None) -> StoreOutcome:
        """Store one extracted record, group it into a work, all in one transaction."""
        text_sha = self.texts.put(record.text.encode("utf-8"))
        self.sync_blobs()
        with transaction(self.sessions) as session:
            events.lock_head(session)
            return self._store_extracted_in(session, sha256, size, prov, record, text_sha, run_id)

    def _store_extracted_in(self, session: Session, sha256: str, size: int, prov: Provenance,
                            record: ExtractedDocument, text_sha: str, run_id: int | None,
                            keys: tuple[str | None, list[str]] | None = None,
                            prior: tuple[Document | None] | None = None,
                            prematched: Prematch | None = None) -> StoreOutcome:
        """``prior``: ``(the document with these bytes or None,)`` when the caller looked it up already;
        ``prematched``: the worker's candidate comparisons, checked still valid by the caller."""
        existing = prior[0] if prior is not None else session.scalar(select(Document).where(Document.sha256 == sha256))
        if existing is not None and existing.status == "stored":
            return self._seen_in(session, existing, prov, run_id)
        if existing is not None:  # a failed document that now extracts
            doc = existing
            self._clear_extraction(session, doc)
        else:
            doc = self._new_document(sha256, size, prov, work_id=None)
        self._fill_from_record(doc, record, text_sha)
        doc.file_date = record.metadata.file_date
        self._add_children(doc, record)  # before placing: the document and its children go in together
        placement = work_index.place(session, doc, record, keys, prematched if existing is None else None)
        session.flush()
        if existing is None:
            self._add_fetch(session, doc.id, prov, run_id, doc=doc)
        conn = session.connection()
        match_index.index_document(conn, doc.id, doc.title, fresh=existing is None)
        match_index.index_citations(conn, ((c.id, c.title, c.urls) for n in doc.footnotes for c in n.citations))
        # No refresh: the children went in through doc's own (loaded) collections, so
        # doc.footnotes and doc.identifiers are the rows just written, in seq order.
        if existing is None and self._in_batch:
            self._search_entry = (doc.id, search_index.entry_fields(doc))  # store_batch indexes it
        else:
            search.index_document(session, doc, fresh=existing is None)
        citation_links.link_document(session, doc, any(n.citations for n in record.footnotes),
                                     (prov.source, prov.final_url) if existing is None else None)
        kind = "stored" if existing is None else "re-extracted"
        events.append_event(session, kind, "ok", document_id=doc.id, work_id=doc.work_id, run_id=run_id,
                            detail={"source": prov.source, "extractor": record.extractor,
                                    "format": record.format, "warnings": list(record.warnings),
                                    "footnotes": len(record.footnotes), "fields": field_hashes(doc)},
                            record_hash=record_hash(doc))
        work_index.record_grouping(session, doc, run_id, placement)
        if existing is None:
            self._written_keys = (doc.id, placement.keys)
        status = "new_version" if doc.relation in ("revision", "rendition") else "stored"
        return StoreOutcome(status, doc.id, sha256, doc.work_id, doc.relation)

    # -- helpers ----------------------------------------------------------

    def _seen_in(self, session: Session, doc: Any, prov: Provenance, run_id: int | None) -> StoreOutcome:
        self._add_fetch(session, doc.id, prov, run_id, doc=doc)
        events.append_event(session, "seen-again", "unchanged", document_id=doc.id, work_id=doc.work_id,
                            run_id=run_id, detail={"source": prov.source})
        if doc.status == "failed":  # still failing: say so, the record stays as it was
            return StoreOutcome("failed", doc.id, doc.sha256, doc.work_id, doc.relation, doc.error)
        return StoreOutcome("unchanged", doc.id, doc.sha256, doc.work_id, doc.relation)

    def _new_document(self, sha256: str, size: int, prov: Provenance, work_id: int | None) -> Document:
        return Document(
            sha256=sha256, size=size, media_type=prov.media_type or "application/octet-stream",
            source=prov.source, source_kind=prov.source_kind, obtained_at=prov.obtained_at,
            obtained_by=prov.obtained_by, status="stored", blob_path=self.blobs.relpath(sha256),
            work_id=work_id, authors=[], metadata_json={}, warnings=[], ingested_at=utcnow(),
            part_of_id=prov.part_of, footnotes=[], identifiers=[],  # loaded (empty): no lazy load after flush
        )

    @staticmethod
    def _fill_from_record(doc: Document, record: ExtractedDocument, text_sha: str) -> None:
        meta = record.metadata
        doc.status = "stored"
        doc.error = None
        doc.media_type = record.media_type
        doc.format = record.format
        doc.extractor = record.extractor
        doc.text = record.text
        doc.text_sha256 = text_sha
        doc.title = meta.title
        doc.date = meta.date
        doc.authors = list(meta.authors)
        doc.language = meta.language
        doc.warnings = list(record.warnings)
        doc.metadata_json = _jsonable({
            "site_name": meta.site_name, "canonical_url": meta.canonical_url,
            "description": meta.description, "keywords": list(meta.keywords),
            "page_count": meta.page_count, "extra": meta.extra,
        })
        doc.derivation = _jsonable(derivation_of(doc.sha256, record, text_sha))

    @staticmethod
    def _clear_extraction(session: Session, doc: Document) -> None:
        doc.footnotes.clear()
        doc.identifiers.clear()
        session.flush()

    @staticmethod
    def _add_children(doc: Document, record: ExtractedDocument) -> None:
        """Identifiers, footnotes, markers, citations appended to ``doc``'s collections (flushed with it)."""
        seen: set[tuple[str, str]] = set()
        for ident in record.metadata.identifiers:
            key = (ident.scheme, ident.value)
            if key not in seen:
                seen.add(key)
                doc.identifiers.append(DocumentIdentifier(scheme=ident.scheme, value=ident.value))
        for seq, note in enumerate(record.footnotes, start=1):
            row = StoredFootnote(seq=seq, label=note.label, text=note.text, page=note.page,
                           position=note.markers[0].offset if note.markers else None,
                           context=note.context, confidence=note.confidence)
            for mseq, mark in enumerate(note.markers, start=1):
                row.markers.append(FootnoteMarker(seq=mseq, position=mark.offset, page=mark.page,
                                                  context=mark.context))
            for cseq, cit in enumerate(note.citations, start=1):
                crow = StoredCitation(seq=cseq, text=cit.text, kind=cit.kind, author=cit.author, title=cit.title,
                                date=cit.date, urls=list(cit.urls), pinpoint=cit.pinpoint,
                                refers_to=_jsonable(cit.refers_to) if cit.refers_to else None,
                                container=cit.container, publisher=cit.publisher, place=cit.place,
                                volume=cit.volume, issue=cit.issue, pages=cit.pages, confidence=cit.confidence)
                crow.identifiers = [CitationIdentifier(scheme=i.scheme, value=i.value) for i in cit.identifiers]
                row.citations.append(crow)
            doc.footnotes.append(row)

    @staticmethod
    def _add_fetch(session: Session, document_id: int, prov: Provenance, run_id: int | None,
                   into: list[dict[str, Any]] | None = None, doc: Any = None) -> None:
        """Insert one fetch row, as a Core insert at once (the document's row is in), or append it to
        ``into`` (:meth:`_insert_fetches` inserts those together: a re-run of an unchanged folder).
        ``doc``: the document or its row, when the caller holds it (see ``fetch_custody``)."""
        row = {"document_id": document_id, "source": prov.source, "final_url": prov.final_url,
               "status_code": prov.status_code, "headers": dict(prov.headers), "etag": prov.etag,
               "last_modified": prov.last_modified, "fetched_at": prov.obtained_at, "warc_path": prov.warc_path,
               "run_id": run_id, "custody": fetch_custody(session, document_id, prov, doc)}
        if into is None:
            session.connection().execute(insert(Fetch.__table__), row)
            return
        json.dumps(row["headers"])  # refused here, for this entry alone, rather than with the whole batch
        into.append(row)

    @staticmethod
    def _insert_fetches(session: Session, rows: list[dict[str, Any]]) -> None:
        if rows:
            session.connection().execute(insert(Fetch.__table__), rows)
            rows.clear()

    # -- reads ------------------------------------------------------------

    def documents(self) -> list[Document]:
        """Every document, failed ones too, by id."""
        with self.reading() as session:
            return list(session.scalars(select(Document).options(selectinload(Document.identifiers))
                                        .order_by(Document.id)))

    def document(self, ref: str | int) -> Document:
        """One document by id, SHA-256 (or a unique prefix of 8+), or identifier."""
        with self.reading() as session:
            opts = [selectinload(Document.identifiers), selectinload(Document.parts),
                    selectinload(Document.thread_documents),
                    selectinload(Document.footnotes).selectinload(StoredFootnote.markers),
                    selectinload(Document.footnotes).selectinload(StoredFootnote.citations)
                    .selectinload(StoredCitation.identifiers)]
            text = str(ref).strip()
            doc = None
            if text.isdigit() and len(text) < 12:
                doc = session.scalar(select(Document).options(*opts).where(Document.id == int(text)))
            if doc is None and len(text) >= 8 and all(c in "0123456789abcdef" for c in text.lower()):
                found = list(session.scalars(select(Document).options(*opts)
                                             .where(Document.sha256.startswith(text.lower())).limit(2)))
                if len(found) == 1:
                    doc = found[0]
            if doc is None:
                doc = session.scalar(select(Document).options(*opts).join(DocumentIdentifier)
                                     .where(DocumentIdentifier.value == text).limit(1))
            if doc is None:  # "UN Doc. a/hrc/37/24", an old-style index number, a URL
                try:
                    found, _, _ = citation_queries.resolve_ref(session, text)
                except DocumentNotFound:
                    found = []
                if found:
                    doc = session.scalar(select(Document).options(*opts).where(Document.id == found[0].id))
            if doc is None:
                raise DocumentNotFound(f"no document with id, hash or identifier {text!r}")
            return doc

    def works(self) -> list[Work]:
        """Every work with its documents in version order."""
        with self.reading() as session:
            return list(session.scalars(select(Work).options(
                selectinload(Work.documents).selectinload(Document.identifiers)).order_by(Work.id)))

    def work(self, work_id: int) -> Work | None:
        """One work with its documents in version order (``None`` when there is no such work)."""
        with self.reading() as session:
            return session.scalar(select(Work).options(
                selectinload(Work.documents).selectinload(Document.identifiers)).where(Work.id == work_id))

    def runs(self, limit: int = 50) -> list[Run]:
        with self.reading() as session:
            return list(session.scalars(select(Run).order_by(Run.id.desc()).limit(limit)))

    def counts(self) -> dict[str, int]:
        """Totals for summaries."""
        with self.reading() as session:
            by_status = dict(session.execute(select(Document.status, func.count()).group_by(Document.status)).all())
            return {
                "documents": sum(by_status.values()),
                "stored": by_status.get("stored", 0),
                "failed": by_status.get("failed", 0),
                "works": session.scalar(select(func.count()).select_from(Work)) or 0,
                "footnotes": session.scalar(select(func.count()).select_from(StoredFootnote)) or 0,
            }

    def cited_by(self, document_id: int) -> list[dict[str, Any]]:
        """Notes in other documents that cite this one."""
        with self.reading() as session:
            return citation_queries.cited_by(session, document_id)

    def find_citing(self, ref: str) -> dict[str, Any]:
        """``archivist cites``: the target named by ``ref`` and every note that cites it."""
        with self.reading() as session:
            return citation_queries.find_citing(session, ref)

    def search(self, query: str, filters: search.SearchFilters | None = None, limit: int = 20,
               offset: int = 0) -> search.SearchResult:
        """Works matching ``query`` (the query language: :mod:`storage.search.query`), one page of them."""
        with self.reading() as session:
            return search.search(session, query, filters, limit, offset)

    def chain_head(self) -> tuple[int, str]:
        with self.reading() as session:
            return events.chain_head(session)

    def custody(self, document_id: int) -> dict[str, Any] | None:
        """The chain-of-custody record of the acquisition that brought the document in (``show``)."""
        with self.reading() as session:
            return document_custody(session, document_id)

    # -- access and transfer ----------------------------------------------

    def shared_url(self) -> str:
        """The database URL another process opens this archive by (a SQLite file by its plain path).

        It carries the password of a PostgreSQL URL: hand it to processes, never show it.
        """
        url = self.engine.url.render_as_string(hide_password=False)
        path = sqlite_path(url)
        if path is not None:
            url = f"sqlite:///{Path(unquote(str(path).split('?', 1)[0])).resolve()}"
        return url

    def _access_writer(self) -> sessionmaker[Session]:
        """Sessions that may append events, also when this archive was opened read-only: one short write
        through a second engine of its own (the read-only engine never writes)."""
        if not self.readonly:
            return self.sessions
        if self._access_engine is None:
            self._access_engine = make_engine(self.shared_url(), "write")
        return sessionmaker(self._access_engine, expire_on_commit=False)

    def record_access(self, kind: str, document_id: int, detail: dict[str, Any]) -> int:
        """Append an access or transfer event (``original-served``, ``original-exported``) about one
        document; return its id. Raises :class:`AccessNotRecorded` when the event cannot be written."""
        try:
            with transaction(self._access_writer()) as session:
                doc = session.get(Document, document_id)
                if doc is None:
                    raise DocumentNotFound(f"no document {document_id}")
                detail = {"sha256": doc.sha256, **detail}
                return events.append_event(session, kind, "ok", document_id=doc.id, work_id=doc.work_id,
                                           detail=detail).id
        except (SQLAlchemyError, OSError, ArchiveUnavailable) as exc:
            raise AccessNotRecorded(f"{self.url}: the {kind} event for document {document_id} cannot be "
                                    f"written: {getattr(exc, 'orig', None) or exc}") from exc


def _jsonable(value: Any) -> Any:
    """Round-trip through canonical JSON so stored JSON equals hashed JSON."""
    import json

    return json.loads(events.canonical_json(value))

