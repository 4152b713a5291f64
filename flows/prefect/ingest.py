"""The Prefect ``ingest`` flow: it only wires :func:`flows.run.run_ingest` to Prefect tasks.

Importing this module imports Prefect; the CLI imports it only for commands
that run flows, so queries never pay Prefect's start-up.

:class:`PrefectRunner` carries out each step of the one ingest loop as a
Prefect task (``fetch`` with retries for the network, ``keep-original``,
``extract``, ``store-record``, ``store-not-modified``). Extraction tasks are
submitted concurrently (thread task runner) and each hands its document to the
process-level :class:`ExtractionPool`, so CPU-bound parsing uses every core;
with ``extract_in_task`` (a Dask task runner) they extract right where they
run. Storing stays sequential and in input order, one transaction per document.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import get_run_context
from prefect.task_runners import ThreadPoolTaskRunner

from extractors import Hints
from storage import Archive, StoreOutcome

from flows import steps
from flows.errors import FetchError
from flows.extraction_pool import ExtractionPool
from flows.fetching.fetched import Fetched
from flows.fetching.policy import backoff, retry_delay
from flows.reports import run_report_markdown
from flows.run import Capture, ExtractionFuture, fetch_limits, run_ingest
from flows.settings import DEFAULT_FETCH_RETRIES, FetchLimits, Settings, settings
from flows.sources.model import SourceItem, expand

_POOLS: dict[int, ExtractionPool] = {}


def _pool(pool_id: int) -> ExtractionPool:
    # Module-level accessors are pickled by name, so tasks shipped to Dask do not drag the live pool along.
    return _POOLS[pool_id]


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


@task(name="keep-original", cache_policy=NO_CACHE)
def put_original(home: str | None, db_url: str | None, fetched: Fetched,
                  run_id: int) -> tuple[str, StoreOutcome | None]:
    """Store the original bytes before any parsing."""
    return steps.put_original(_archive(home, db_url), fetched, run_id)


@task(name="extract", cache_policy=NO_CACHE)
def extract(fetched: Fetched, hints: Hints, pool_id: int | None) -> steps.Extraction:
    """Text, metadata and footnotes: in the local worker pool (time-boxed), or, with
    ``pool_id=None``, right where the task runs (a Dask worker process)."""
    if pool_id is None:
        return steps.extract_safely(fetched.data, hints)
    return steps.extract_safely(fetched.data, hints, _pool(pool_id).extract)


@task(name="store-record", cache_policy=NO_CACHE)
def store_record(home: str | None, db_url: str | None, fetched: Fetched, sha: str,
                 extraction: steps.Extraction, run_id: int, manifest: dict[str, Any]) -> StoreOutcome:
    """Group into a work and store the record: one transaction per document."""
    return steps.store_extraction(_archive(home, db_url), fetched, sha, extraction, run_id, manifest)


@task(name="store-not-modified", cache_policy=NO_CACHE)
def store_not_modified(home: str | None, db_url: str | None, fetched: Fetched, run_id: int) -> StoreOutcome:
    """Record that a conditional GET found the archived copy current."""
    return steps.store_not_modified(_archive(home, db_url), fetched, run_id)


class PrefectRunner:
    """The steps of :func:`run_ingest` as Prefect tasks on the archive at ``home`` / ``db_url``.

    The local :class:`ExtractionPool` is registered by id for the run (tasks
    get the id, never the pool); with ``extract_in_task`` the extract tasks
    extract where they run instead (a Dask worker).
    """

    def __init__(self, home: str | None, db_url: str | None, config: Settings | None = None, *,
                 workers: int | None = None, extract_in_task: bool = False, max_bytes: int | None = None,
                 allow_private: bool = False):
        self.home = home
        self.db_url = db_url
        self.config = config or settings()
        self.limits = fetch_limits(self.config.fetch, max_bytes, allow_private)
        self.workers = workers
        self.extract_in_task = extract_in_task
        self._pool: ExtractionPool | None = None

    def __enter__(self) -> PrefectRunner:
        self._pool = ExtractionPool(self.workers or self.config.extract_workers, self.config.extract_timeout_s,
                                    self.config.extract_memory_mb)
        _POOLS[id(self._pool)] = self._pool
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            _POOLS.pop(id(self._pool), None)
            self._pool.close()
            self._pool = None

    @property
    def window(self) -> int:
        if self._pool is None:
            raise RuntimeError("the runner is not running: use it as a context manager")
        return 2 * self._pool.size

    def fetch(self, item: SourceItem) -> Fetched:
        return fetch(item, self.home, self.db_url, self.limits)

    def put_original(self, fetched: Fetched, run_id: int) -> tuple[str, StoreOutcome | None]:
        return put_original(self.home, self.db_url, fetched, run_id)

    def extract(self, fetched: Fetched) -> ExtractionFuture:
        pool_id = None if self.extract_in_task or self._pool is None else id(self._pool)
        return extract.submit(fetched, steps.hints_for(fetched, self.config.extraction), pool_id)

    def store(self, capture: Capture, extraction: steps.Extraction, run_id: int) -> StoreOutcome:
        return store_record(self.home, self.db_url, capture.fetched, capture.sha, extraction, run_id,
                            capture.item.manifest)

    def store_not_modified(self, fetched: Fetched, run_id: int) -> StoreOutcome:
        return store_not_modified(self.home, self.db_url, fetched, run_id)


def run_in_flow(items: list[SourceItem], home: str | None, db_url: str | None, trigger: str, *,
                workers: int | None = None, extract_in_task: bool = False,
                max_bytes: int | None = None, allow_private: bool = False,
                warnings: list[str] | None = None) -> dict[str, Any]:
    """The body of every ingest flow (call it inside a flow run): the run, then its markdown report."""
    flow_run = getattr(get_run_context(), "flow_run", None)
    runner = PrefectRunner(home, db_url, workers=workers, extract_in_task=extract_in_task, max_bytes=max_bytes,
                           allow_private=allow_private)
    result = run_ingest(_archive(home, db_url), items, runner, trigger=trigger,
                        flow_run_id=str(flow_run.id) if flow_run else None, logger=get_run_logger(),
                        warnings=warnings)
    create_markdown_artifact(key="ingest-run-report", markdown=report_markdown(result.run_id, result.summary,
                                                                               result.elapsed),
                             description=f"archivist ingest run {result.run_id}")
    return result.to_dict()


def report_markdown(run_id: int, summary: Any, elapsed: float) -> str:
    """The run report, with what the expansion left out (skipped files, links, removed credentials)."""
    text = run_report_markdown(run_id, summary, elapsed)
    if summary.warnings:
        text += "\n\n## Skipped and warnings\n\n" + "\n".join(f"- {w.replace('|', '/')}" for w in summary.warnings)
    return text


@flow(name="ingest", validate_parameters=False, task_runner=ThreadPoolTaskRunner(max_workers=4))
def ingest_flow(sources: list[str] | None = None, home: str | None = None, db_url: str | None = None,
                trigger: str = "manual", workers: int | None = None, extract_in_task: bool = False,
                max_bytes: int | None = None, items: list[SourceItem] | None = None, allow_private: bool = False,
                warnings: list[str] | None = None) -> dict[str, Any]:
    """Ingest files, folders and URLs into the archive; one document's failure never stops the run.

    ``items`` are sources already expanded (the CLI expands them to check
    them before anything runs); else ``sources`` are expanded here.
    ``extract_in_task`` runs extraction inside the extract tasks themselves
    instead of the local worker pool: use it with a distributed task runner
    (``ingest_flow.with_options(task_runner=DaskTaskRunner(...))``), so
    CPU-bound parsing happens on the cluster's workers. ``max_bytes`` caps
    each input (files and HTTP bodies, enforced while streaming).
    ``allow_private`` lets the fetcher reach loopback and private hosts;
    ``warnings`` (what the expansion left out) go into the run's summary.
    """
    warnings = list(warnings or [])
    if items is None:
        items, skipped = expand_sources(list(sources or []))
        warnings += skipped
    return run_in_flow(items, home, db_url, trigger, workers=workers, extract_in_task=extract_in_task,
                       max_bytes=max_bytes, allow_private=allow_private, warnings=warnings)
