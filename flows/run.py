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
stored one transaction at a time. One document's failure never stops the run.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from extractors import ExtractedDocument
from storage import Archive, StoreOutcome

from flows import steps
from flows.errors import FetchError
from flows.extraction_pool import ExtractionPool
from flows.fetching.fetched import Fetched
from flows.settings import FetchLimits, Settings, settings
from flows.sources.model import SourceItem

OUTCOMES = ("stored", "new_version", "unchanged", "failed")


@dataclass
class RunSummary:
    """Counts and failures of one run."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    failures: list[dict[str, Any]] = field(default_factory=list)
    outcomes: list[dict[str, Any]] = field(default_factory=list)

    def add(self, source: str, outcome: StoreOutcome | None, error: str | None = None) -> None:
        status = outcome.status if outcome else "failed"
        self.counts[status] = self.counts.get(status, 0) + 1
        row = {"source": source, "status": status, "document_id": outcome.document_id if outcome else None,
               "work_id": outcome.work_id if outcome else None, "relation": outcome.relation if outcome else None}
        self.outcomes.append(row)
        if status == "failed":
            self.failures.append({"source": source, "error": (outcome.error if outcome else None) or error})


@dataclass
class RunResult:
    """One finished run: its id in the archive, what happened to each item, how long it took."""

    run_id: int
    summary: RunSummary
    elapsed: float

    def to_dict(self) -> dict[str, Any]:
        """What the flows return and ``archivist ingest --json`` prints."""
        return {"run_id": self.run_id, "counts": self.summary.counts, "failures": self.summary.failures,
                "outcomes": self.summary.outcomes, "ingest_seconds": self.elapsed}


class ExtractionFuture(Protocol):
    """An extraction under way (a pool job, a Prefect task run)."""

    def result(self) -> steps.Extraction: ...


@dataclass
class Capture:
    """One document in flight: its item, the bytes fetched, their kept original's hash, the extraction."""

    item: SourceItem
    fetched: Fetched
    sha: str
    extraction: ExtractionFuture


class Runner(Protocol):
    """Who carries out the steps of :func:`run_ingest`; a context manager around the run."""

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


def fetch_limits(base: FetchLimits, max_bytes: int | None) -> FetchLimits:
    """``base`` with a source's own ``max_bytes`` (when it has one)."""
    return base if max_bytes is None else replace(base, max_bytes=max_bytes)


class _PoolExtraction:
    """A pool job seen as an :class:`ExtractionFuture`: an ``ExtractionError`` becomes an Extraction."""

    def __init__(self, future: Future[ExtractedDocument]):
        self.future = future

    def result(self) -> steps.Extraction:
        return steps.extraction_of(self.future.result)


class InProcessRunner:
    """The steps called directly on one archive; extraction in a local :class:`ExtractionPool`.

    ``workers`` (default: the settings', else every core) is the pool's size;
    ``max_bytes`` replaces the settings' fetch limit (a source's own limit).
    """

    def __init__(self, archive: Archive, config: Settings | None = None, *, workers: int | None = None,
                 max_bytes: int | None = None):
        self.archive = archive
        self.config = config or settings()
        self.limits = fetch_limits(self.config.fetch, max_bytes)
        self.workers = workers
        self._pool: ExtractionPool | None = None

    def __enter__(self) -> InProcessRunner:
        self._pool = ExtractionPool(self.workers or self.config.extract_workers, self.config.extract_timeout_s,
                                    self.config.extract_memory_mb)
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
        return 2 * self.pool.size

    def fetch(self, item: SourceItem) -> Fetched:
        return steps.fetch(item, self.archive, self.limits)

    def put_original(self, fetched: Fetched, run_id: int) -> tuple[str, StoreOutcome | None]:
        return steps.put_original(self.archive, fetched, run_id)

    def extract(self, fetched: Fetched) -> ExtractionFuture:
        return _PoolExtraction(self.pool.submit(fetched.data, steps.hints_for(fetched, self.config.extraction)))

    def store(self, capture: Capture, extraction: steps.Extraction, run_id: int) -> StoreOutcome:
        return steps.store_extraction(self.archive, capture.fetched, capture.sha, extraction, run_id,
                                      capture.item.manifest)

    def store_not_modified(self, fetched: Fetched, run_id: int) -> StoreOutcome:
        return steps.store_not_modified(self.archive, fetched, run_id)


def _start(archive: Archive, item: SourceItem, runner: Runner, run_id: int, summary: RunSummary,
           logger: logging.Logger | logging.LoggerAdapter[Any] | None) -> Capture | None:
    """Fetch and keep one item; a Capture when it is to be extracted, else its outcome is in ``summary``."""
    try:
        fetched = runner.fetch(item)
    except FetchError as exc:
        if logger is not None:
            logger.warning("%s", exc)
        summary.add(item.location, steps.record_fetch_failure(archive, exc, run_id))
        return None
    if fetched.not_modified:
        summary.add(item.location, runner.store_not_modified(fetched, run_id))
        return None
    sha, done = runner.put_original(fetched, run_id)
    if done is not None:
        summary.add(item.location, done)
        return None
    return Capture(item, fetched, sha, runner.extract(fetched))


def _finish(capture: Capture, runner: Runner, run_id: int, summary: RunSummary,
            logger: logging.Logger | logging.LoggerAdapter[Any] | None) -> None:
    """Wait for one extraction and store its record (or the failure)."""
    outcome = runner.store(capture, capture.extraction.result(), run_id)
    if outcome.status == "failed" and logger is not None:
        logger.warning("%s: %s", capture.item.location, outcome.error)
    summary.add(capture.item.location, outcome)


def run_ingest(archive: Archive, items: list[SourceItem], runner: Runner, *, trigger: str = "manual",
               flow_run_id: str | None = None,
               logger: logging.Logger | logging.LoggerAdapter[Any] | None = None) -> RunResult:
    """Ingest ``items`` into ``archive`` through ``runner``: one run, recorded with its counts and failures.

    The run's start and finish (``run-started`` / ``run-finished`` events) and
    fetch failures go to ``archive`` directly; every other step goes through
    the runner. Records are stored in input order. ``logger`` (a Prefect run
    logger) is told about each failure.
    """
    started = time.perf_counter()
    run_id = archive.begin_run([i.location for i in items], trigger, flow_run_id)
    summary = RunSummary()
    pending: deque[Capture] = deque()
    with runner:
        for item in items:
            capture = _start(archive, item, runner, run_id, summary, logger)
            if capture is not None:
                pending.append(capture)
            while len(pending) > runner.window:
                _finish(pending.popleft(), runner, run_id, summary, logger)
        while pending:
            _finish(pending.popleft(), runner, run_id, summary, logger)
    elapsed = time.perf_counter() - started
    archive.finish_run(run_id, summary.counts, summary.failures, duration_s=round(elapsed, 3))
    return RunResult(run_id, summary, elapsed)
