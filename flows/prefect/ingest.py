"""The Prefect ``ingest`` flow: it only wires :func:`flows.run.run_ingest` to Prefect tasks.

Importing this module imports Prefect; the CLI imports it only for commands
that run flows, so queries never pay Prefect's start-up.

:class:`PrefectRunner` carries out the steps of the one ingest loop as
the in-process runner does (local files read, originals kept, extraction in
the local :class:`~flows.extraction_pool.ExtractionPool` on every core,
records stored in input order), except where Prefect adds something: the
``fetch`` of a URL is a task (network retries with backoff), and with
``extract_in_task`` (a Dask task runner) ``extract`` tasks parse on the
cluster's workers. The UI sees the documents as ``ingest-batch`` task runs,
one per :data:`BATCH_SIZE` documents, and the run's report (an artifact that
names the archive). A task run per document cost more than the work it
wrapped for small documents (measured in tests/benchmarks/bench_prefect.py).

A temporary Prefect server (no ``PREFECT_API_URL``) is drained of the run's
task-run states before the flow returns (:func:`drain`), so stopping it at
exit loses nothing and logs no error.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import get_run_context
from prefect.task_runners import ThreadPoolTaskRunner

from extractors import Hints
from storage import Archive

from flows import steps
from flows.errors import FetchError, FlowError
from flows.fetching.fetched import Fetched
from flows.fetching.policy import backoff, retry_delay
from flows.reports import run_report_markdown
from flows.run import ExtractionFuture, InProcessRunner, ProgressTick, run_ingest
from flows.settings import DEFAULT_FETCH_RETRIES, FetchLimits, Settings, settings
from flows.sources.model import SourceItem, expand

if TYPE_CHECKING:
    from flows.progress import Progress

_WATCHERS: dict[int, Progress] = {}  # progress displays of this process, by id (a flow parameter is the id)


@dataclass
class Handover:
    """What a caller in this process planned for a flow run: the items, what their expansion left out
    (``warnings``) and what they were expanded from (``sources``)."""

    items: list[SourceItem]
    warnings: list[str] = field(default_factory=list)
    sources: list[str] | None = None


_HANDOVERS: dict[int, Handover] = {}  # by id (a flow parameter is the id), as with the progress displays


@contextmanager
def watching(progress: Progress | None) -> Iterator[int | None]:
    """Register ``progress`` for a flow run started in this process; its id is the ``progress_id`` to pass."""
    if progress is None:
        yield None
        return
    _WATCHERS[id(progress)] = progress
    try:
        yield id(progress)
    finally:
        _WATCHERS.pop(id(progress), None)


@contextmanager
def handing_over(plan: Handover) -> Iterator[int]:
    """Keep ``plan`` for a flow run started in this process; its id is the ``plan_id`` to pass.

    The items do not go as a flow parameter: Prefect's server refuses
    parameters over 512 KB (a folder of about 4,000 files), and would keep
    every item of every run in its own database.
    """
    _HANDOVERS[id(plan)] = plan
    try:
        yield id(plan)
    finally:
        _HANDOVERS.pop(id(plan), None)


def archive_name(home: str | None, db_url: str | None) -> str:
    """The archive a run writes to, as its report names it: the home, and the database when it is not the
    home's SQLite file (without any password)."""
    archive = _archive(home, db_url)
    shown = archive.engine.url.render_as_string(hide_password=True)
    where = str(archive.home.resolve())
    return where if shown.startswith("sqlite") and where in shown else f"{where} ({shown})"


@lru_cache(maxsize=8)
def _archive(home: str | None, db_url: str | None) -> Archive:
    return Archive.open(home, db_url)


FETCH_RETRY_DELAYS = [backoff(attempt) for attempt in range(1, DEFAULT_FETCH_RETRIES + 1)]


def _retry_network(task_: Any, task_run: Any, state: Any) -> bool:
    """Retry only what another try can fix (timeouts, connection errors, 429, 5xx), by the one rule.

    :func:`flows.fetching.policy.retry_delay` decides (the same rule as the
    in-process runner); when a ``Retry-After`` asks for longer than the task's
    backoff, the difference is waited here, before Prefect's own delay.
    """
    try:
        state.result()
    except FetchError as exc:
        limits = settings().fetch
        attempt = max(1, int(getattr(task_run, "run_count", 1) or 1))
        wait = retry_delay(exc, attempt, limits.retries, limits.retry_after_max_s)
        if wait is None:
            return False
        extra = wait - FETCH_RETRY_DELAYS[min(attempt, len(FETCH_RETRY_DELAYS)) - 1]
        if extra > 0:
            time.sleep(extra)
        return True
    except Exception:  # noqa: BLE001 - anything else is not a network failure
        return False
    return False


@task(name="expand-sources", cache_policy=NO_CACHE)
def expand_sources(sources: list[str]) -> tuple[list[SourceItem], list[str]]:
    """Files, folders and URLs to a list of items, and what the expansion left out."""
    skipped: list[str] = []
    return expand(sources, skipped=skipped), skipped


@task(name="fetch", retries=DEFAULT_FETCH_RETRIES, retry_delay_seconds=FETCH_RETRY_DELAYS,
      retry_condition_fn=_retry_network, cache_policy=NO_CACHE)
def fetch(item: SourceItem, home: str | None, db_url: str | None, limits: FetchLimits | None = None) -> Fetched:
    """Obtain one item's bytes; network failures worth it are retried with backoff."""
    return steps.fetch(item, _archive(home, db_url), limits)


@task(name="extract", cache_policy=NO_CACHE)
def extract(fetched: Fetched, hints: Hints) -> steps.Extraction:
    """Text, metadata and footnotes, right where the task runs (a Dask worker process)."""
    return steps.extract_safely(fetched.data, hints)


class PrefectRunner(InProcessRunner):
    """The steps of :func:`run_ingest` inside a Prefect flow run, on the archive at ``home`` / ``db_url``.

    Orchestration costs a task run per call, so only the steps where Prefect
    adds something are tasks: the ``fetch`` of a URL (network retries with
    backoff, each fetch visible) and, with ``extract_in_task`` (a Dask task
    runner), ``extract`` (parsing on the cluster's workers). Reading local
    files, keeping originals, extracting in the local pool and storing are
    the in-process runner's own calls; the UI sees the documents in batches
    (:func:`record_batch`, one task run per :data:`BATCH_SIZE` documents).
    ``tasks`` counts the task runs this runner started.
    """

    def __init__(self, home: str | None, db_url: str | None, config: Settings | None = None, *,
                 workers: int | None = None, extract_in_task: bool = False, max_bytes: int | None = None,
                 allow_private: bool = False, reread_files: bool = False):
        super().__init__(_archive(home, db_url), config, workers=workers, max_bytes=max_bytes,
                         allow_private=allow_private, reread_files=reread_files)
        self.home = home
        self.db_url = db_url
        self.extract_in_task = extract_in_task
        self.tasks = 0

    def fetch(self, item: SourceItem) -> Fetched:
        if item.kind != "url":
            return steps.fetch(item, self.archive, self.limits, self.archive.archived_file)
        self.tasks += 1
        return fetch(item, self.home, self.db_url, self.limits)

    def extract(self, fetched: Fetched) -> ExtractionFuture:
        if not self.extract_in_task:
            return super().extract(fetched)
        self.tasks += 1
        return extract.submit(fetched, steps.hints_for(fetched, self.config.extraction))


BATCH_SIZE = 100  # documents per ``ingest-batch`` task run in the Prefect UI


@task(name="ingest-batch", cache_policy=NO_CACHE, task_run_name="documents {first}-{last}")
def record_batch(first: int, last: int, counts: dict[str, int], failures: list[dict[str, Any]]) -> dict[str, Any]:
    """One batch of documents done (numbers ``first``..``last`` of the run): its outcomes, for the UI."""
    return {"first": first, "last": last, "counts": counts, "failures": failures}


class Batches:
    """Counts each finished document; every :data:`BATCH_SIZE` of them (and at the end) one
    :func:`record_batch` task run; then tells ``progress`` (a display of this process), if any."""

    def __init__(self, runner: PrefectRunner, progress: Progress | None, size: int = BATCH_SIZE):
        self.runner = runner
        self.progress = progress
        self.size = size
        self.first = 1
        self.done = 0
        self.counts: dict[str, int] = {}
        self.failures: list[dict[str, Any]] = []

    def __call__(self, tick: ProgressTick) -> None:
        self.done = tick.done
        self.counts[tick.status] = self.counts.get(tick.status, 0) + 1
        if tick.status == "failed":
            self.failures.append({"source": tick.source})
        if self.done - self.first + 1 >= self.size:
            self.flush()
        if self.progress is not None:
            self.progress.on_tick(tick)

    def flush(self) -> None:
        """Record the documents since the last batch (nothing when there are none)."""
        if self.done < self.first:
            return
        self.runner.tasks += 1
        record_batch(self.first, self.done, self.counts, self.failures)
        self.first, self.counts, self.failures = self.done + 1, {}, []


def temporary_server() -> bool:
    """Whether this process talks to a temporary Prefect server (no ``PREFECT_API_URL``)."""
    from prefect.settings import PREFECT_API_URL

    return not PREFECT_API_URL.value()


def drain(flow_run_id: Any, tasks: int, timeout_s: float = 15.0) -> bool:
    """Wait until the Prefect server has recorded the final state of ``tasks`` task runs of the flow run.

    A temporary server is stopped when this process exits; task-run states
    still on their way then fail to be written and the server logs an ERROR
    with a traceback (``task_run_recorder … Error flushing … CancelledError``).
    Waiting for them here keeps the run's record in Prefect whole and the
    output of a run that succeeded free of errors. ``False`` after ``timeout_s``.
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    deadline = time.monotonic() + timeout_s
    runs_filter = FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
    with get_client(sync_client=True) as client:
        while True:
            found = client.read_task_runs(flow_run_filter=runs_filter, limit=max(200, 2 * tasks))
            if sum(1 for r in found if r.state is not None and r.state.is_final()) >= tasks:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)


def run_in_flow(items: list[SourceItem], home: str | None, db_url: str | None, trigger: str, *,
                workers: int | None = None, extract_in_task: bool = False,
                max_bytes: int | None = None, allow_private: bool = False,
                warnings: list[str] | None = None, progress_id: int | None = None,
                tasks_before: int = 0, sources: list[str] | None = None, reread_files: bool = False
                ) -> dict[str, Any]:
    """The body of every ingest flow (call it inside a flow run): the run, then its markdown report.

    ``progress_id`` names a :class:`flows.progress.Progress` of this process
    (:func:`watching`) told after each document; unknown ids are ignored.
    ``tasks_before`` counts the task runs the flow started before this (the
    expansion of its sources), so that a temporary server is :func:`drain` ed
    of all of them. ``sources``: what ``items`` were expanded from, recorded with the run
    (see :func:`flows.run.run_ingest`; default: the items).
    """
    flow_run = getattr(get_run_context(), "flow_run", None)
    runner = PrefectRunner(home, db_url, workers=workers, extract_in_task=extract_in_task, max_bytes=max_bytes,
                           allow_private=allow_private, reread_files=reread_files)
    progress = _WATCHERS.get(progress_id) if progress_id is not None else None
    if progress is not None:
        progress.start(len(items))
    archive = archive_name(home, db_url)
    batches = Batches(runner, progress)
    result = run_ingest(_archive(home, db_url), items, runner, trigger=trigger,
                        flow_run_id=str(flow_run.id) if flow_run else None, logger=get_run_logger(),
                        warnings=warnings, progress=batches, sources=sources)
    batches.flush()
    create_markdown_artifact(key="ingest-run-report",
                             markdown=report_markdown(result.run_id, result.summary, result.elapsed, archive),
                             description=f"archivist ingest run {result.run_id} into {archive}")
    if flow_run is not None and temporary_server() and not drain(flow_run.id, tasks_before + runner.tasks):
        get_run_logger().warning("the temporary Prefect server had not recorded every task run's state in time")
    return result.to_dict()


def report_markdown(run_id: int, summary: Any, elapsed: float, archive: str | None = None) -> str:
    """The run report (naming the ``archive``), with what the expansion left out (skipped files, links,
    removed credentials)."""
    text = run_report_markdown(run_id, summary, elapsed, archive)
    if summary.warnings:
        text += "\n\n## Skipped and warnings\n\n" + "\n".join(f"- {w.replace('|', '/')}" for w in summary.warnings)
    return text


@flow(name="ingest", validate_parameters=False, task_runner=ThreadPoolTaskRunner(max_workers=4))
def ingest_flow(sources: list[str] | None = None, home: str | None = None, db_url: str | None = None,
                trigger: str = "manual", workers: int | None = None, extract_in_task: bool = False,
                max_bytes: int | None = None, items: list[SourceItem] | None = None, allow_private: bool = False,
                warnings: list[str] | None = None, progress_id: int | None = None,
                plan_id: int | None = None, reread_files: bool = False) -> dict[str, Any]:
    """Ingest files, folders and URLs into the archive; one document's failure never stops the run.

    ``items`` are sources already expanded; else ``sources`` are expanded
    here. Either way ``sources`` (when given) is what the run records it was
    asked for. ``plan_id`` names a :class:`Handover` of this process
    (:func:`handing_over`), which the CLI uses: it expands the sources to
    check them before anything runs, and hands the items over that way
    (Prefect refuses parameters over 512 KB; ``items`` suits a few only).
    ``extract_in_task`` runs extraction inside the extract tasks themselves
    instead of the local worker pool: use it with a distributed task runner
    (``ingest_flow.with_options(task_runner=DaskTaskRunner(...))``), so
    CPU-bound parsing happens on the cluster's workers. ``max_bytes`` caps
    each input (files and HTTP bodies, enforced while streaming).
    ``allow_private`` lets the fetcher reach loopback and private hosts;
    ``warnings`` (what the expansion left out) go into the run's summary;
    ``progress_id`` names a progress display of this process (:func:`watching`);
    ``reread_files`` reads every file, also one whose status says it is unchanged.
    """
    warnings = list(warnings or [])
    if plan_id is not None:
        plan = _HANDOVERS.get(plan_id)
        if plan is None:
            raise FlowError(f"no planned items with id {plan_id} in this process (start the flow with "
                            "handing_over, in the process that planned them)")
        items = plan.items
        sources = plan.sources if sources is None else sources
        warnings += plan.warnings
    expanded = items is None
    if items is None:
        items, skipped = expand_sources(list(sources or []))
        warnings += skipped
    return run_in_flow(items, home, db_url, trigger, workers=workers, extract_in_task=extract_in_task,
                       max_bytes=max_bytes, allow_private=allow_private, warnings=warnings, progress_id=progress_id,
                       tasks_before=int(expanded), sources=sources, reread_files=reread_files)
