"""The Prefect ``ingest`` flow: it only wires the steps in ``flows.steps``.

Importing this module imports Prefect; the CLI imports it only for commands
that run flows, so queries never pay Prefect's start-up.

Extraction tasks are submitted concurrently (thread task runner) and each
hands its document to the process-level :class:`ExtractionPool`, so CPU-bound
parsing uses every core; storing stays sequential and in input order, one
transaction per document.
"""

from __future__ import annotations

import time
from collections import deque
from functools import lru_cache
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import get_run_context
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.tasks import exponential_backoff

from storage import Archive, StoreOutcome

from flows import steps as pipeline
from flows.errors import FetchError
from flows.extraction_pool import ExtractionPool
from flows.fetching.http import Fetched
from flows.reports import run_report_markdown
from flows.sources.model import SourceItem, expand

_POOLS: dict[int, ExtractionPool] = {}


def _pool(pool_id: int) -> ExtractionPool:
    # Module-level accessors are pickled by name, so tasks shipped to Dask do not drag the live pool along.
    return _POOLS[pool_id]


def _register_pool(pool: ExtractionPool) -> None:
    _POOLS[id(pool)] = pool


def _unregister_pool(pool: ExtractionPool) -> None:
    _POOLS.pop(id(pool), None)


@lru_cache(maxsize=8)
def _archive(home: str | None, db_url: str | None) -> Archive:
    return Archive.open(home, db_url)


def _retry_network(task_: Any, task_run: Any, state: Any) -> bool:
    """Retry only what another try can fix: timeouts, connection errors, 5xx."""
    try:
        state.result()
    except FetchError as exc:
        return exc.retryable
    except Exception:  # noqa: BLE001 - anything else is not a network failure
        return False
    return False


@task(name="expand-sources", cache_policy=NO_CACHE)
def expand_sources(sources: list[str]) -> list[SourceItem]:
    """Files, folders and URLs to a list of items."""
    return expand(sources)


@task(name="fetch", retries=3, retry_delay_seconds=exponential_backoff(backoff_factor=1),
      retry_condition_fn=_retry_network, cache_policy=NO_CACHE)
def fetch(item: SourceItem, home: str | None, db_url: str | None,
          max_bytes: int | None = None) -> Fetched | pipeline.NotModified:
    """Obtain one item's bytes; network failures worth it are retried with backoff."""
    return pipeline.fetch(item, _archive(home, db_url), max_bytes)


@task(name="keep-original", cache_policy=NO_CACHE)
def keep_original(home: str | None, db_url: str | None, fetched: Fetched,
                  run_id: int) -> tuple[str, StoreOutcome | None]:
    """Store the original bytes before any parsing."""
    return pipeline.put_original(_archive(home, db_url), fetched, run_id)


@task(name="extract", cache_policy=NO_CACHE)
def extract(fetched: Fetched, pool_id: int | None) -> pipeline.Extraction:
    """Text, metadata and footnotes: in the local worker pool (time-boxed), or, with
    ``pool_id=None``, right where the task runs (a Dask worker process)."""
    if pool_id is None:
        return pipeline.extract_safely(fetched.data, pipeline.hints_for(fetched))
    return pipeline.extract_safely(fetched.data, pipeline.hints_for(fetched), _pool(pool_id).extract)


@task(name="store-record", cache_policy=NO_CACHE)
def store_record(home: str | None, db_url: str | None, fetched: Fetched, sha: str,
                 extraction: pipeline.Extraction, run_id: int, manifest: dict[str, Any]) -> StoreOutcome:
    """Group into a work and store the record: one transaction per document."""
    return pipeline.store_extraction(_archive(home, db_url), fetched, sha, extraction, run_id, manifest)


@task(name="store-not-modified", cache_policy=NO_CACHE)
def store_not_modified(home: str | None, db_url: str | None, fetched: pipeline.NotModified,
                       run_id: int) -> StoreOutcome:
    """Record that a conditional GET found the archived copy current."""
    return pipeline.store_not_modified(_archive(home, db_url), fetched, run_id)


@flow(name="ingest", validate_parameters=False, task_runner=ThreadPoolTaskRunner(max_workers=4))
def ingest_flow(sources: list[str], home: str | None = None, db_url: str | None = None,
                trigger: str = "manual", workers: int | None = None,
                extract_in_task: bool = False, max_bytes: int | None = None) -> dict[str, Any]:
    """Ingest files, folders and URLs into the archive; one document's failure never stops the run.

    ``extract_in_task`` runs extraction inside the extract tasks themselves
    instead of the local worker pool: use it with a distributed task runner
    (``ingest_flow.with_options(task_runner=DaskTaskRunner(...))``), so
    CPU-bound parsing happens on the cluster's workers. ``max_bytes`` caps
    each input (files and HTTP bodies, enforced while streaming).
    """
    started = time.perf_counter()
    logger = get_run_logger()
    archive = _archive(home, db_url)
    items = expand_sources(sources)
    flow_run = getattr(get_run_context(), "flow_run", None)
    run_id = archive.begin_run([i.location for i in items], trigger, str(flow_run.id) if flow_run else None)
    summary = pipeline.RunSummary()
    pending: deque[tuple[SourceItem, Fetched, str, Any]] = deque()

    def drain_one() -> None:
        item, fetched, sha, future = pending.popleft()
        outcome = store_record(home, db_url, fetched, sha, future.result(), run_id, item.manifest)
        if outcome.status == "failed":
            logger.warning("%s: %s", item.location, outcome.error)
        summary.add(item.location, outcome)

    with ExtractionPool(workers) as pool:
        _register_pool(pool)
        try:
            for item in items:
                try:
                    fetched = fetch(item, home, db_url, max_bytes)
                except FetchError as exc:
                    logger.warning("%s", exc)
                    summary.add(item.location, pipeline.record_fetch_failure(archive, exc, run_id))
                    continue
                if isinstance(fetched, pipeline.NotModified):
                    summary.add(item.location, store_not_modified(home, db_url, fetched, run_id))
                    continue
                sha, done = keep_original(home, db_url, fetched, run_id)
                if done is not None:
                    summary.add(item.location, done)
                    continue
                pending.append((item, fetched, sha, extract.submit(fetched, None if extract_in_task else id(pool))))
                while len(pending) > 2 * pool.size:
                    drain_one()
            while pending:
                drain_one()
        finally:
            _unregister_pool(pool)
    elapsed = time.perf_counter() - started
    archive.finish_run(run_id, summary.counts, summary.failures, duration_s=round(elapsed, 3))
    create_markdown_artifact(key="ingest-run-report", markdown=run_report_markdown(run_id, summary, elapsed),
                             description=f"archivist ingest run {run_id}")
    return {"run_id": run_id, "counts": summary.counts, "failures": summary.failures,
            "outcomes": summary.outcomes, "ingest_seconds": elapsed}
