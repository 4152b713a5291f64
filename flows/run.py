"""THE ingest loop: every item of a run fetched, kept, extracted and stored, through a :class:`Runner`.

:func:`run_ingest` is the only loop; what differs between ``archivist ingest
--no-prefect`` and the Prefect ``ingest`` flows is the runner that carries out
each step:

* :class:`InProcessRunner` calls :mod:`flows.steps` directly and extracts in
  an :class:`~flows.extraction_pool.ExtractionPool`;
* :class:`flows.prefect.ingest.PrefectRunner` calls the Prefect tasks (with
  their names and the network retries) and extracts in tasks.

Fetching, keeping originals and storing happen one item at a time, in input
order; extraction runs ahead, at most :attr:`Runner.window` documents in
flight (each a :class:`Capture`), so every core parses while records are
stored one transaction at a time. One document's failure never stops the run:
a :class:`FetchError`, and any other exception a step raises for one item,
becomes a failed record (its bytes kept when there are any), and the run is
always finished (``completed``, or ``failed`` when the loop itself broke).
What the expansion left out (hidden files, links, credentials removed from a
URL) arrives as ``warnings`` and is reported with the run.

A record with parts (an e-mail's attachments, a ZIP's or tar's members) has
each part ingested right after it, through the same runner steps from keeping
the bytes on: its source is ``<parent source>!/<part name>``, its record's
``part_of`` the parent's id. Parts nested deeper than
``Settings.container_max_depth`` are kept as failed records, not extracted.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Protocol

from extractors import ExtractionError
from extractors.record import Part
from storage import Archive, StoreOutcome
from storage.provenance import path_text
from storage.blobs import sha256_bytes

from flows import steps
from flows.errors import FetchError
from flows.extraction_pool import ExtractionPool, Keyed
from flows.fetching.fetched import Fetched
from flows.settings import FetchLimits, Settings, settings
from flows.sources.model import SourceItem, recorded_sources

OUTCOMES = ("stored", "new_version", "unchanged", "failed")
STORE_BATCH = 64  # documents per store transaction (group commit) when the runner stores in batches
SEEN_SHARE = 8  # a document seen again (a fetch row, an event; not extracted) weighs 1/8 of one in a batch
PENDING_BYTES = 256 * 1024 * 1024  # bytes in flight before the oldest documents are stored, whatever their count

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProgressTick:
    """One item of a run done: how many are done, of how many (``None`` while unknown), and this one.

    ``total`` counts the run's items plus the parts (attachments, members)
    found so far, so it can grow while the run goes on; ``status`` is one of
    :data:`OUTCOMES`; ``source`` is the item as shown in the run's records.
    """

    done: int
    total: int | None
    status: str
    source: str


Progress = Callable[[ProgressTick], None]


@dataclass
class RunSummary:
    """Counts and failures of one run; ``progress`` (when given) is told after each item is done."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    failures: list[dict[str, Any]] = field(default_factory=list)
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what was left out: skipped files, links, credentials
    progress: Progress | None = field(default=None, repr=False, compare=False)
    total: int | None = None  # items of the run plus the parts found so far (for progress)

    def add(self, source: str, outcome: StoreOutcome | None, error: str | None = None) -> None:
        status = outcome.status if outcome else "failed"
        self.counts[status] = self.counts.get(status, 0) + 1
        row = {"source": source, "status": status, "document_id": outcome.document_id if outcome else None,
               "work_id": outcome.work_id if outcome else None, "relation": outcome.relation if outcome else None}
        self.outcomes.append(row)
        if status == "failed":
            self.failures.append({"source": source, "error": (outcome.error if outcome else None) or error})
        elif error:  # the step failed, and recording the failure found the bytes archived already
            self.warnings.append(f"{error} (recorded as {status} all the same)")
        if self.progress is not None:
            try:
                self.progress(ProgressTick(len(self.outcomes), self.total, status, source))
            except Exception:  # noqa: BLE001 - a broken progress display never stops a run
                log.exception("the progress callback failed")


@dataclass
class RunResult:
    """One finished run: its id in the archive, what happened to each item, how long it took."""

    run_id: int
    summary: RunSummary
    elapsed: float

    def to_dict(self) -> dict[str, Any]:
        """What the flows return and ``archivist ingest --json`` prints."""
        return {"run_id": self.run_id, "counts": self.summary.counts, "failures": self.summary.failures,
                "outcomes": self.summary.outcomes, "warnings": self.summary.warnings,
                "ingest_seconds": self.elapsed}


class ExtractionFuture(Protocol):
    """An extraction under way (a pool job, a Prefect task run)."""

    def result(self) -> steps.Extraction: ...


@dataclass
class Capture:
    """One document in flight: its item, the bytes fetched, their kept original's hash, the extraction,
    and how deep inside other documents it was found."""

    item: SourceItem
    fetched: Fetched
    sha: str
    extraction: ExtractionFuture
    depth: int = 0  # 0: an item of the run; 1: a part of one (an attachment, a member); 2: a part of a part...


class Runner(Protocol):
    """Who carries out the steps of :func:`run_ingest`; a context manager around the run."""

    config: Settings  # the settings of the run (the depth limit of parts among them)

    @property
    def window(self) -> int:
        """How many extractions may be in flight before the oldest is stored."""
        ...

    def __enter__(self) -> Runner: ...

    def __exit__(self, *exc: object) -> None: ...

    def fetch(self, item: SourceItem) -> Fetched:
        """The item's bytes (``not_modified`` for a 304); raises :class:`FetchError`."""
        ...

    def put_original(self, fetched: Fetched, run_id: int) -> tuple[str, StoreOutcome | None]:
        """Keep the original bytes; their hash, and an outcome when nothing more is to be done."""
        ...

    def extract(self, fetched: Fetched) -> ExtractionFuture:
        """Start extracting ``fetched``."""
        ...

    def store(self, capture: Capture, extraction: steps.Extraction, run_id: int) -> StoreOutcome:
        """Group and store the extracted record (or the failure): one transaction."""
        ...

    def store_not_modified(self, fetched: Fetched, run_id: int) -> StoreOutcome:
        """Record that a conditional GET found the archived copy current."""
        ...


class BatchRunner(Runner, Protocol):
    """A runner that also stores in batches (optional: :func:`run_ingest` uses it when the runner has it).

    ``keep`` replaces ``put_original`` for the run's items: it keeps the bytes
    (their fsync owed to the batch's group commit) and says whether they are
    archived already (then they are not extracted, and stored as seen again);
    ``store_batch`` stores up to ``batch_size`` documents in one transaction.
    Parts of documents still go one by one (``put_original`` / ``store``).
    """

    batch_size: int

    def keep(self, fetched: Fetched) -> tuple[str, bool]: ...

    def store_batch(self, done: list[tuple[Capture, steps.Extraction]], run_id: int
                    ) -> list[StoreOutcome | Exception]: ...


def fetch_limits(base: FetchLimits, max_bytes: int | None, allow_private: bool = False) -> FetchLimits:
    """``base`` with a source's own ``max_bytes`` (when it has one) and its ``allow_private``."""
    limits = base if max_bytes is None else replace(base, max_bytes=max_bytes)
    return replace(limits, allow_private=True) if allow_private else limits


class _KeyedExtraction:
    """A keyed pool job (record and grouping keys) seen as an :class:`ExtractionFuture`."""

    def __init__(self, future: Future[Keyed]):
        self.future = future

    def result(self) -> steps.Extraction:
        try:
            keyed = self.future.result()
        except ExtractionError as exc:
            return steps.Extraction(error=f"{type(exc).__name__}: {exc}")
        return steps.Extraction(record=keyed.record, keys=(keyed.title, keyed.keys), prematch=keyed.prematch)


class InProcessRunner:
    """The steps called directly on one archive; extraction in a local :class:`ExtractionPool`.

    ``workers`` (default: the settings', else every core) is the pool's size;
    ``max_bytes`` replaces the settings' fetch limit (a source's own limit);
    ``allow_private`` lifts the fetch policy's address refusal.
    Retryable fetch failures are tried again by the same rule as Prefect's
    fetch task (:func:`flows.steps.fetch_retrying`). Records are stored
    ``batch_size`` to a transaction (a :class:`BatchRunner`).
    """

    def __init__(self, archive: Archive, config: Settings | None = None, *, workers: int | None = None,
                 max_bytes: int | None = None, allow_private: bool = False, batch_size: int = STORE_BATCH,
                 reread_files: bool = False):
        self.archive = archive
        self.config = config or settings()
        self.limits = fetch_limits(self.config.fetch, max_bytes, allow_private)
        if reread_files:  # this run reads every file, whatever its status (``ingest --reread``)
            self.limits = replace(self.limits, reread_files=True)
        self.workers = workers
        self.batch_size = max(1, batch_size)
        self._pool: ExtractionPool | None = None
        self._known: set[str] | None = None  # hashes archived (or met in this run): not extracted again

    def __enter__(self) -> InProcessRunner:
        self._known = None  # read again for each run
        self._pool = ExtractionPool(self.workers or self.config.extract_workers, self.config.extract_timeout_s,
                                    self.config.extract_memory_mb, db_url=self.archive.shared_url(),
                                    texts_root=str(self.archive.texts.root),
                                    originals_root=str(self.archive.blobs.root))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    @property
    def pool(self) -> ExtractionPool:
        if self._pool is None:
            raise RuntimeError("the runner is not running: use it as a context manager")
        return self._pool

    @property
    def window(self) -> int:
        # a batch stored while the next one is extracted: the workers never wait for the storing process
        return 2 * self.batch_size + 2 * self.pool.size

    def fetch(self, item: SourceItem) -> Fetched:
        return steps.fetch_retrying(item, self.archive, self.limits, archived_file=self.archive.archived_file)

    def keep(self, fetched: Fetched) -> tuple[str, bool]:
        if fetched.sha256 is not None:  # not read: its status says these bytes, stored already
            return fetched.sha256, True
        sha = sha256_bytes(fetched.data)
        if self._known is None:
            self._known = self.archive.stored_shas()
        seen = sha in self._known
        self._known.add(sha)
        if seen:  # touched (a repair spares it) or put back if it is gone; new bytes are written by store_batch
            self.archive.put_original(fetched.data, sync=False)
        return sha, seen

    def store_batch(self, done: list[tuple[Capture, steps.Extraction]], run_id: int
                    ) -> list[StoreOutcome | Exception]:
        for capture, extraction in done:
            if not extraction.seen:  # the extraction worker wrote them, or should have: made sure of here
                self.archive.owe_original(capture.fetched.data, capture.sha)
        entries = [steps.batch_entry(c.fetched, c.sha, e, c.item.manifest) for c, e in done]
        return self.archive.store_batch(entries, run_id)

    def put_original(self, fetched: Fetched, run_id: int) -> tuple[str, StoreOutcome | None]:
        return steps.put_original(self.archive, fetched, run_id)

    def extract(self, fetched: Fetched) -> ExtractionFuture:
        return _KeyedExtraction(self.pool.submit_keyed(fetched.data, steps.hints_for(fetched, self.config.extraction)))

    def store(self, capture: Capture, extraction: steps.Extraction, run_id: int) -> StoreOutcome:
        return steps.store_extraction(self.archive, capture.fetched, capture.sha, extraction, run_id,
                                      capture.item.manifest)

    def store_not_modified(self, fetched: Fetched, run_id: int) -> StoreOutcome:
        return steps.store_not_modified(self.archive, fetched, run_id)


Logger = logging.Logger | logging.LoggerAdapter[Any] | None


def _fail(archive: Archive, item: SourceItem, exc: BaseException, run_id: int, summary: RunSummary,
          logger: Logger, fetched: Fetched | None = None, sha: str | None = None) -> None:
    """An unexpected exception in one item's step: a failed record (bytes kept when there are any)."""
    shown = path_text(item.location)
    error = f"{shown}: unexpected {type(exc).__name__}: {path_text(str(exc))}"
    (logger or log).error("%s", error, exc_info=logger is None)
    try:
        if fetched is not None and not fetched.not_modified and fetched.sha256 is None:
            sha = archive.put_original(fetched.data)  # the run may not have written them yet (keep)
            outcome = archive.store_failed(sha, len(fetched.data), fetched.provenance, error, run_id=run_id)
        else:
            outcome = steps.record_fetch_failure(archive, FetchError(error, source=shown), run_id)
    except Exception as again:  # noqa: BLE001 - the archive itself refused; the run still goes on
        log.error("%s: the failure could not be recorded either: %s", shown, again)
        outcome = None
    summary.add(shown, outcome, error)


def _start(archive: Archive, item: SourceItem, runner: Runner, run_id: int, summary: RunSummary,
           logger: Logger) -> Capture | None:
    """Fetch and keep one item; a Capture when it is to be extracted, else its outcome is in ``summary``."""
    shown = path_text(item.location)
    fetched = None
    try:
        try:
            fetched = runner.fetch(item)
        except FetchError as exc:
            (logger or log).warning("%s", exc)
            summary.add(shown, steps.record_fetch_failure(archive, exc, run_id))
            return None
        if fetched.not_modified:
            summary.add(shown, runner.store_not_modified(fetched, run_id))
            return None
    except Exception as exc:  # noqa: BLE001 - one item's failure never stops the run
        _fail(archive, item, exc, run_id, summary, logger, fetched)
        return None
    return _keep_and_extract(archive, item, fetched, runner, run_id, summary, logger)


def _keep_and_extract(archive: Archive, item: SourceItem, fetched: Fetched, runner: Runner, run_id: int,
                      summary: RunSummary, logger: Logger, depth: int = 0) -> Capture | None:
    """Keep the original and start its extraction (a Capture), unless the bytes are archived already.

    A run's item on a :class:`BatchRunner` (depth 0) is kept with ``keep``:
    bytes archived already become a Capture that is not extracted and is
    stored, with its batch, as seen again.
    """
    try:
        if depth == 0 and _batched(runner):
            sha, seen = runner.keep(fetched)  # type: ignore[attr-defined]
            if seen:
                return Capture(item, fetched, sha, _SEEN, depth)
        else:
            sha, done = runner.put_original(fetched, run_id)
            if done is not None:
                summary.add(path_text(item.location), done)
                return None
    except Exception as exc:  # noqa: BLE001 - one item's failure never stops the run
        _fail(archive, item, exc, run_id, summary, logger, fetched)
        return None
    if depth > runner.config.container_max_depth:
        future: ExtractionFuture = _Failed(
            f"found {depth} documents deep (a part of a part...), over the limit of "
            f"{runner.config.container_max_depth} (ARCHIVIST_CONTAINER_MAX_DEPTH): kept, not extracted")
        return Capture(item, fetched, sha, future, depth)
    try:
        future = runner.extract(fetched)
    except Exception as exc:  # noqa: BLE001 - e.g. a broken pool: the document fails, the run goes on
        future = _Failed(f"extraction could not start: {type(exc).__name__}: {exc}")
    return Capture(item, fetched, sha, future, depth)


@dataclass
class _Failed:
    """An extraction that never started, seen as an :class:`ExtractionFuture`."""

    error: str

    def result(self) -> steps.Extraction:
        return steps.Extraction(error=self.error)


class _Seen:
    """No extraction: the bytes are archived already (a :class:`BatchRunner` stores them as seen again)."""

    def result(self) -> steps.Extraction:
        return steps.Extraction(seen=True)


_SEEN = _Seen()


def _batched(runner: Runner) -> bool:
    return callable(getattr(runner, "store_batch", None)) and callable(getattr(runner, "keep", None))


def _extraction(capture: Capture) -> steps.Extraction:
    try:
        return capture.extraction.result()
    except Exception as exc:  # noqa: BLE001 - a worker crash, a task failure: the document fails
        return steps.Extraction(error=f"extraction broke: {type(exc).__name__}: {exc}")


def _finish(capture: Capture, runner: Runner, run_id: int, summary: RunSummary, logger: Logger,
            archive: Archive) -> None:
    """Wait for one extraction and store its record (or the failure)."""
    extraction = _extraction(capture)
    try:
        outcome = runner.store(capture, extraction, run_id)
    except Exception as exc:  # noqa: BLE001 - e.g. text the database refuses: the bytes are kept
        _fail(archive, capture.item, exc, run_id, summary, logger, capture.fetched, capture.sha)
        return
    _stored(capture, extraction, outcome, runner, run_id, summary, logger, archive)


def _finish_batch(pending: deque[Capture], runner: Runner, run_id: int, summary: RunSummary, logger: Logger,
                  archive: Archive, limit: int = 1) -> int:
    """Store the oldest captures: one batch of up to ``limit`` on a :class:`BatchRunner`, else the oldest one.

    Returns the next batch's limit: batches start at one document and double
    up to the runner's ``batch_size``, so the first documents of a run are
    durable at once and a long run commits in large groups. A batch ends
    early after a record with parts, so its parts are still ingested right
    after it (before the documents that follow it).
    """
    if not _batched(runner):
        _finish(pending.popleft(), runner, run_id, summary, logger, archive)
        return limit
    done: list[tuple[Capture, steps.Extraction]] = []
    load = 0.0
    while pending and load < limit:
        capture = pending.popleft()
        extraction = _extraction(capture)
        done.append((capture, extraction))
        load += _load(capture)
        if extraction.record is not None and extraction.record.parts:
            break
    try:
        outcomes: list[StoreOutcome | Exception] = runner.store_batch(done, run_id)  # type: ignore[attr-defined]
    except Exception as exc:  # noqa: BLE001 - the whole batch refused: each document is recorded as failed
        outcomes = [exc] * len(done)
    for (capture, extraction), outcome in zip(done, outcomes):
        if isinstance(outcome, Exception):
            _fail(archive, capture.item, outcome, run_id, summary, logger, capture.fetched, capture.sha)
        else:
            _stored(capture, extraction, outcome, runner, run_id, summary, logger, archive)
    return min(2 * limit, runner.batch_size)  # type: ignore[attr-defined]


def _pending_bytes(pending: deque[Capture]) -> int:
    return sum(len(c.fetched.data) for c in pending)


def _load(capture: Capture) -> float:
    """What a capture weighs in a batch and in the window: bytes archived already are not extracted,
    so a re-run of an unchanged folder commits in groups of up to ``SEEN_SHARE`` times the batch size."""
    return 1 / SEEN_SHARE if capture.extraction is _SEEN else 1.0


def _stored(capture: Capture, extraction: steps.Extraction, outcome: StoreOutcome, runner: Runner, run_id: int,
            summary: RunSummary, logger: Logger, archive: Archive) -> None:
    """Report one stored outcome and ingest the record's parts (when it was stored now)."""
    if outcome.status == "failed":
        (logger or log).warning("%s: %s", path_text(capture.item.location), outcome.error)
    summary.add(path_text(capture.item.location), outcome)
    record = extraction.record
    if record is not None and record.parts and outcome.document_id is not None and \
            outcome.status in ("stored", "new_version"):  # bytes seen before: their parts were ingested then
        _ingest_parts(capture, record.parts, outcome.document_id, runner, run_id, summary, logger, archive)


def _ingest_parts(parent: Capture, parts: list[Part], parent_id: int, runner: Runner, run_id: int,
                  summary: RunSummary, logger: Logger, archive: Archive) -> None:
    """Ingest every part of a stored document right after it, in order, each as its own document.

    A part goes the way of a fetched item from keeping its bytes on (no fetch:
    its bytes are in hand); its extractions run ahead in the runner's window,
    and a part's own parts follow it, one level deeper.
    """
    pending: deque[Capture] = deque()
    if summary.total is not None:
        summary.total += len(parts)
    for part in parts:
        fetched = steps.part_fetched(parent.fetched, part, parent_id)
        item = SourceItem(fetched.provenance.source, "part")
        capture = _keep_and_extract(archive, item, fetched, runner, run_id, summary, logger, parent.depth + 1)
        if capture is not None:
            pending.append(capture)
        while len(pending) > runner.window:
            _finish(pending.popleft(), runner, run_id, summary, logger, archive)
    while pending:
        _finish(pending.popleft(), runner, run_id, summary, logger, archive)


def run_ingest(archive: Archive, items: list[SourceItem], runner: Runner, *, trigger: str = "manual",
               flow_run_id: str | None = None, logger: Logger = None,
               warnings: list[str] | None = None, progress: Progress | None = None,
               config: Settings | None = None, sources: list[str] | None = None) -> RunResult:
    """Ingest ``items`` into ``archive`` through ``runner``: one run, recorded with its counts and failures.

    The run's start and finish (``run-started`` / ``run-finished`` events) and
    fetch failures go to ``archive`` directly; every other step goes through
    the runner. Records are stored in input order. ``logger`` (a Prefect run
    logger) is told about each failure. ``warnings`` (what the expansion left
    out) go into the summary. The run is finished even when the loop breaks.
    ``progress`` is called with a :class:`ProgressTick` after each item (and
    each part) is stored or failed; an exception it raises is logged, not raised.
    ``config`` (default: the process's settings) says whether the run ends with a time-stamp.
    ``sources``: what ``items`` were expanded from (the folders, files and URLs given), recorded with
    the run as :func:`~flows.sources.model.recorded_sources` gives them; default: the items themselves.
    """
    started = time.perf_counter()
    asked = recorded_sources(sources) if sources is not None else [path_text(i.location) for i in items]
    run_id = archive.begin_run(asked, trigger, flow_run_id, items=len(items))
    summary = RunSummary(warnings=list(warnings or []), progress=progress, total=len(items))
    pending: deque[Capture] = deque()
    status = "failed"
    try:
        with runner:
            in_flight, load, limit = 0, 0.0, 1  # bytes and load of the pending captures; the next batch's size
            for item in items:
                capture = _start(archive, item, runner, run_id, summary, logger)
                if capture is not None:
                    pending.append(capture)
                    in_flight += len(capture.fetched.data)
                    load += _load(capture)
                while load > runner.window or (pending and in_flight > PENDING_BYTES):
                    limit = _finish_batch(pending, runner, run_id, summary, logger, archive, limit)
                    in_flight, load = _pending_bytes(pending), sum(_load(c) for c in pending)
            while pending:
                limit = _finish_batch(pending, runner, run_id, summary, logger, archive, limit)
        status = "completed"
    finally:
        elapsed = time.perf_counter() - started
        archive.finish_run(run_id, summary.counts, summary.failures, status=status, duration_s=round(elapsed, 3),
                           warnings=summary.warnings)
    _timestamp_run(archive, run_id, config or settings())
    return RunResult(run_id, summary, elapsed)


def _timestamp_run(archive: Archive, run_id: int, config: Settings) -> None:
    """With ``ARCHIVIST_TIMESTAMP_RUNS=1``, ask the configured time-stamp authorities to sign the chain head.

    Each authority's answer or failure is a ``timestamped`` event; nothing here stops or fails the run.
    """
    if not config.timestamp_runs:
        return
    from storage.integrity.timestamps import timestamp_after_run

    try:
        timestamp_after_run(archive, config.tsa_urls, config.tsa_timeout_s, run_id)
    except Exception as exc:  # noqa: BLE001 - a time-stamp is extra evidence, never a reason to lose the run
        log.warning("run %s: time-stamping the chain head failed: %s", run_id, exc)
