"""Extraction in worker processes: both cores used, and a hard time and memory box.

Extractors are pure functions, so they can run anywhere. Here they run in
long-lived worker processes (``spawn`` start method: safe beside Prefect's
threads). Each job has a deadline; a worker that passes it (a page that
hangs the parser) is killed and replaced, and the job fails with
:class:`~extractors.ResourceLimitExceeded`. Each worker also runs under an
address-space limit, so a decompression bomb fails with ``MemoryError``
inside the worker instead of taking the machine down.

The number of workers, the time box and the memory limit default to
:func:`flows.settings.settings` (``ARCHIVIST_EXTRACT_WORKERS``,
``ARCHIVIST_EXTRACT_TIMEOUT_S``, ``ARCHIVIST_EXTRACT_MEMORY_MB``).
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

from extractors import CorruptDocument, ExtractedDocument, ExtractionError, Hints, ResourceLimitExceeded

from flows.settings import settings

if TYPE_CHECKING:
    from storage.works.prematch import Prematch

log = logging.getLogger(__name__)
WORKER_NICENESS = 10  # how much lower the extraction workers run than the process that stores their records


@dataclass
class Keyed:
    """A record with its grouping keys (``storage.works.index.index_keys`` of its text and ``title``),
    computed in the worker beside the extraction (:meth:`ExtractionPool.submit_keyed`)."""

    record: ExtractedDocument
    title: str | None
    keys: list[str]
    prematch: Prematch | None = None  # its candidates compared on the archive (``storage.works.prematch``)


def _prematch(engine: Any, record: ExtractedDocument, title: str | None, keys: list[str]) -> Prematch | None:
    """The record's candidates compared on the archive, or ``None`` (the storing process then compares)."""
    from storage.works.prematch import prematch

    if engine is None or not keys:
        return None
    try:
        return prematch(engine, record.text, title, [n.text for n in record.footnotes], keys)
    except Exception:  # noqa: BLE001 - an optimisation only: the storing process does it instead
        log.debug("prematch failed", exc_info=True)
        return None


def _put(store: Any, data: bytes | str, what: str) -> None:
    """``data`` (a text: as UTF-8) written to one of the archive's stores (``store``: a ``BlobStore``).

    Written without fsync: the storing process's own ``put`` of the same bytes
    finds the file in place and owes its sync, with the rest of its batch,
    before it records the blob (``BlobStore.adopt``). If the store cannot be
    written here, that ``put`` writes the blob.
    """
    if store is None:
        return
    try:
        store.put(data.encode("utf-8") if isinstance(data, str) else data, sync=False)
    except (OSError, UnicodeError):  # an optimisation only
        log.debug("the %s could not be written by the worker", what, exc_info=True)


def _worker_main(conn: Connection, memory_mb: int, db_url: str | None = None,
                 texts_root: str | None = None, originals_root: str | None = None) -> None:
    """Worker loop: receive ``(data, hints, keyed)``, send back a record (with its keys) or an error.

    With ``db_url`` (the archive's database), a keyed record also comes back
    with its grouping candidates compared on a read-only snapshot of it; with
    ``texts_root`` (the archive's text store), with its text's blob written;
    with ``originals_root`` (the archive's blob store), a keyed job's bytes are
    written there before they are parsed.
    """
    try:
        # Below the storing process: it is the one every document waits for (records are stored in
        # order), and with more processes than cores the scheduler would otherwise share cores evenly.
        os.nice(WORKER_NICENESS)
    except OSError:
        pass
    if memory_mb > 0:
        try:
            import resource

            limit = memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ImportError, ValueError, OSError):
            pass
    from extractors import extract
    from storage.blobs import BlobStore
    from storage.works.index import index_keys

    texts = BlobStore(Path(texts_root)) if texts_root else None
    originals = BlobStore(Path(originals_root)) if originals_root else None
    engine = None
    if db_url:
        from storage.database import make_engine

        try:
            engine = make_engine(db_url, "read")
        except Exception:  # noqa: BLE001 - no prematches then; extraction goes on
            log.debug("the archive could not be opened for prematches", exc_info=True)

    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        data, hints, keyed = job
        if keyed:  # before parsing: kept even if the parse kills this worker (else the storing process writes them)
            _put(originals, data, "original")
        try:
            record = extract(data, hints)
            if keyed:  # the pure part of grouping, here on a worker's core rather than in the storing process
                title = record.metadata.title
                keys = index_keys(record.text, title)
                _put(texts, record.text, "text")
                conn.send(("ok", Keyed(record, title, keys, _prematch(engine, record, title, keys))))
            else:
                conn.send(("ok", record))
        except ExtractionError as exc:
            conn.send(("error", (type(exc).__name__, str(exc))))
        except MemoryError:
            conn.send(("error", ("ResourceLimitExceeded", f"extraction needed more than {memory_mb} MB")))
        except BaseException as exc:  # noqa: BLE001 - report, never die silently
            conn.send(("error", ("CorruptDocument", f"{type(exc).__name__}: {exc}")))


_ERRORS: dict[str, type[ExtractionError]] = {
    "ResourceLimitExceeded": ResourceLimitExceeded,
    "CorruptDocument": CorruptDocument,
}


def _rebuild_error(name: str, message: str) -> ExtractionError:
    import extractors

    cls = getattr(extractors, name, None)
    if not (isinstance(cls, type) and issubclass(cls, ExtractionError)):
        cls = _ERRORS.get(name, ExtractionError)
    return cls(message)


@dataclass
class _Worker:
    process: Any
    conn: Connection
    job: tuple[Future[ExtractedDocument], float] | None = None


class ExtractionPool:
    """A fixed number of extraction workers; :meth:`submit` returns a Future.

    Use as a context manager. Thread-safe: Prefect tasks running in threads
    may submit concurrently.
    """

    def __init__(self, workers: int | None = None, timeout_s: float | None = None,
                 memory_mb: int | None = None, db_url: str | None = None, texts_root: str | None = None,
                 originals_root: str | None = None):
        knobs = settings()
        self.db_url = db_url  # the archive keyed jobs are prematched on (``storage.works.prematch``)
        self.texts_root = texts_root  # the text store keyed jobs write their texts to (``_put``) ...
        self.originals_root = originals_root  # ... and the blob store they write their bytes to
        self.size = max(1, workers or knobs.extract_workers or os.cpu_count() or 1)
        self.timeout_s = knobs.extract_timeout_s if timeout_s is None else timeout_s
        self.memory_mb = knobs.extract_memory_mb if memory_mb is None else memory_mb
        self._ctx = mp.get_context("spawn")
        self._workers: list[_Worker] = []
        self._queue: list[tuple[Future[Any], bytes, Hints, bool]] = []
        self._lock = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="extraction-pool", daemon=True)

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Spawn the workers (done by the first :meth:`submit`, so an idle pool costs nothing)."""
        if self._thread.is_alive():
            return
        for _ in range(self.size):
            self._workers.append(self._spawn())
        self._thread.start()

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(target=_worker_main, args=(child, self.memory_mb, self.db_url, self.texts_root,
                                                                   self.originals_root),
                                    daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent)

    def submit(self, data: bytes, hints: Hints) -> Future[ExtractedDocument]:
        """Queue one extraction; the Future raises ``ExtractionError`` on failure."""
        return self._submit(data, hints, False)

    def submit_keyed(self, data: bytes, hints: Hints) -> Future[Keyed]:
        """:meth:`submit`, the record coming back with its grouping keys (a :class:`Keyed`)."""
        return self._submit(data, hints, True)

    def _submit(self, data: bytes, hints: Hints, keyed: bool) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("extraction pool is closed")
            self.start()
            self._queue.append((future, data, hints, keyed))
            self._lock.notify()
        return future

    def extract(self, data: bytes, hints: Hints) -> ExtractedDocument:
        """Extract in a worker and wait for the result."""
        return self.submit(data, hints).result()

    def _dispatch(self) -> None:
        for worker in self._workers:
            if worker.job is None and self._queue:
                future, data, hints, keyed = self._queue.pop(0)
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    worker.conn.send((data, hints, keyed))
                except (OSError, ValueError) as exc:
                    future.set_exception(CorruptDocument(f"could not hand the document to a worker: {exc}"))
                    continue
                worker.job = (future, time.monotonic() + self.timeout_s)

    def _loop(self) -> None:
        while True:
            with self._lock:
                while not self._closed and not self._queue and all(w.job is None for w in self._workers):
                    self._lock.wait()
                if self._closed and all(w.job is None for w in self._workers) and not self._queue:
                    return
                self._dispatch()
                busy = [w for w in self._workers if w.job is not None]
            if not busy:
                continue
            now = time.monotonic()
            next_deadline = min(w.job[1] for w in busy)
            ready = wait([w.conn for w in busy], timeout=max(0.0, min(next_deadline - now, 0.5)))
            with self._lock:
                for i, worker in enumerate(self._workers):
                    if worker.job is None:
                        continue
                    future, deadline = worker.job
                    if worker.conn in ready:
                        self._collect(i, worker, future)
                    elif time.monotonic() > deadline:
                        self._replace(i, worker)
                        future.set_exception(ResourceLimitExceeded(
                            f"extraction took longer than {self.timeout_s:g} s; the worker was stopped"))

    def _collect(self, index: int, worker: _Worker, future: Future[ExtractedDocument]) -> None:
        try:
            status, payload = worker.conn.recv()
        except (EOFError, OSError):
            self._replace(index, worker)
            future.set_exception(CorruptDocument("the extraction worker died (crash in a parser library)"))
            return
        worker.job = None
        if status == "ok":
            future.set_result(payload)
        else:
            future.set_exception(_rebuild_error(*payload))

    def _replace(self, index: int, worker: _Worker) -> None:
        worker.process.kill()
        worker.process.join(5)
        worker.conn.close()
        self._workers[index] = self._spawn()

    def close(self) -> None:
        """Finish queued jobs, then stop the workers."""
        with self._lock:
            self._closed = True
            self._lock.notify()
        if self._thread.is_alive():
            self._thread.join()
        for worker in self._workers:
            try:
                worker.conn.send(None)
            except (OSError, ValueError):
                pass
            worker.process.join(5)
            if worker.process.is_alive():
                worker.process.kill()
        self._workers.clear()

