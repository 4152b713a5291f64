"""Prefect deployments: one ``ingest/<source name>`` per source of a sources file, plus the fixity check.

``archivist serve`` builds them with :func:`build_deployments` and serves them
all in one process with :func:`serve` (what ``prefect.serve`` does, with
``pause_on_shutdown=False``, so stopping or restarting the service never
leaves the schedules switched off on the Prefect server).

Each ingest deployment runs :func:`ingest_source_flow`, a flow also named
``ingest``: at run time it re-reads the sources file, expands the source,
checks its limits (``max_documents``, ``max_bytes``) before anything is
fetched, and then runs the one ingest loop (:func:`flows.run.run_ingest`)
through :func:`flows.prefect.ingest.run_in_flow`, exactly as the ``ingest``
flow does (same tasks, run-started/run-finished events and markdown run
report). So ``prefect deployment run 'ingest/<source name>'``, a schedule and
``archivist ingest --source NAME`` all do the same thing.

With a Dask scheduler address (``$ARCHIVIST_DASK_ADDRESS`` or ``[cluster]
dask_address``) the flow gets a ``DaskTaskRunner`` and extraction runs in
the extract tasks on the cluster's workers (``extract_in_task=True``).

Importing this module imports Prefect.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from prefect import flow
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.types.entrypoint import EntrypointType

from flows.errors import SourceError
from flows.prefect.ingest import run_in_flow
from flows.settings import ENV_DB_URL
from flows.sources import file as sf_mod

log = logging.getLogger(__name__)

FIXITY_DEPLOYMENT = "archivist-fixity"


@flow(name="ingest", validate_parameters=False, task_runner=ThreadPoolTaskRunner(max_workers=4))
def ingest_source_flow(source: str, sources_file: str | None = None, home: str | None = None,
                       db_url: str | None = None, trigger: str = "deployment",
                       extract_in_task: bool = False) -> dict[str, Any]:
    """Ingest one named source of a sources file (re-read now), within its limits."""
    spec = sf_mod.load(sources_file).get(source)
    skipped: list[str] = []
    locations, items = sf_mod.plan(spec, skipped)
    result = run_in_flow(items, home, db_url, f"{trigger}:{source}", extract_in_task=extract_in_task,
                         max_bytes=spec.max_bytes, allow_private=spec.allow_private, warnings=skipped,
                         sources=locations)
    result["source"] = source
    return result


def dask_task_runner(address: str | None) -> Any:
    """A ``DaskTaskRunner`` on the scheduler at ``address`` (None without an address)."""
    if not address:
        return None
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise SourceError(f"a Dask scheduler is configured ({address}) but prefect-dask is not installed: "
                          "pip install prefect-dask") from exc
    return DaskTaskRunner(address=address)


def on_cluster(flow_: Callable[..., Any], address: str | None) -> Any:
    """``flow_`` with a Dask task runner on the scheduler at ``address``; ``flow_`` itself without one."""
    runner = dask_task_runner(address)
    return flow_ if runner is None else flow_.with_options(task_runner=runner)


def source_flow(address: str | None) -> Any:
    """:func:`ingest_source_flow`, on the Dask cluster at ``address`` when there is one."""
    return on_cluster(ingest_source_flow, address)


def _schedule_kwargs(source: sf_mod.Source) -> dict[str, Any]:
    if not source.scheduled:
        return {}
    if source.cron:
        from prefect.schedules import Cron

        return {"schedules": [Cron(source.cron, timezone=source.timezone or "UTC")]}
    return {"interval": timedelta(seconds=float(source.interval_seconds or 0))}


@dataclass
class Served:
    """One deployment to serve: the flow object itself (with its task runner) and its settings."""

    flow: Any
    name: str
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.flow.name}/{self.name}"

    def to_deployment(self) -> Any:
        """The same as a ``RunnerDeployment`` (for ``prefect.serve`` or inspection)."""
        return self.flow.to_deployment(name=self.name, entrypoint_type=EntrypointType.MODULE_PATH, **self.options)


def ingest_deployments(sources: sf_mod.SourcesFile, home: str | None, db_url: str | None) -> list[Served]:
    """One deployment per source: scheduled sources on their schedule, the others for manual runs."""
    address = sources.cluster_address()
    flow_ = source_flow(address)
    out = []
    for source in sources.sources.values():
        params = {"source": source.name, "sources_file": str(sources.path), "home": home, "db_url": db_url,
                  "trigger": "deployment", "extract_in_task": bool(address)}
        description = source.description or f"archivist ingest of source {source.name!r} ({source.schedule_text})"
        out.append(Served(flow_, source.name, {"parameters": params, "description": description,
                                               "tags": ["archivist", "ingest"], **_schedule_kwargs(source)}))
    return out


def fixity_deployments(sources: sf_mod.SourcesFile, home: str | None, db_url: str | None) -> list[Served]:
    """The fixity check on ``[fixity] cron`` (default daily 03:00 UTC), unless ``[fixity] enabled = false``.

    HOOK: the fixity flow lives in ``flows/prefect/fixity.py`` (``fixity_flow``);
    if that module is missing or broken, serving goes on with the ingest
    deployments alone and says so in the log.
    """
    if not sources.fixity_cron:
        return []
    try:
        from flows.prefect.fixity import fixity_flow
    except ImportError as exc:
        log.warning("fixity flow not available (%s): serving the ingest deployments only", exc)
        return []
    from prefect.schedules import Cron

    return [Served(fixity_flow, FIXITY_DEPLOYMENT, {
        "parameters": {"home": home, "db_url": db_url}, "tags": ["archivist", "fixity"],
        "description": "archivist fixity check: re-hash every file, walk the event chain",
        "schedules": [Cron(sources.fixity_cron, timezone="UTC")]})]


def build_deployments(sources: sf_mod.SourcesFile, home: str | None, db_url: str | None) -> list[Served]:
    return ingest_deployments(sources, home, db_url) + fixity_deployments(sources, home, db_url)


def parameter_db_url(db_url: str | None) -> str | None:
    """The database URL to store in deployment parameters.

    Parameters are kept by the Prefect server and shown in its UI, so a URL
    with a password is not put there: it goes to ``$ARCHIVIST_DB_URL`` of
    this process, which the flow-run processes inherit, and the parameter
    stays empty.
    """
    if not db_url:
        return None
    from sqlalchemy.engine import make_url

    try:
        url = make_url(db_url)
    except Exception:  # noqa: BLE001 - let the flow run report a bad URL
        return db_url
    if url.password:
        os.environ[ENV_DB_URL] = db_url
        return None
    return db_url


def serve(served: list[Served], limit: int | None = None) -> None:
    """Serve every deployment in this process until interrupted; schedules stay active afterwards.

    This is ``prefect.serve(*deployments, pause_on_shutdown=False)`` with one
    difference: the runner is handed the flow objects themselves
    (``Runner.add_flow``), so each flow run executes the flow as built here --
    with its Dask task runner when a cluster is configured -- instead of
    re-importing it from its entrypoint with the default task runner.
    """
    import asyncio

    from prefect.exceptions import TerminationSignal
    from prefect.runner import Runner

    runner = Runner(pause_on_shutdown=False, limit=limit)
    for item in served:
        runner.add_flow(item.flow, name=item.name, entrypoint_type=EntrypointType.MODULE_PATH, **item.options)
    try:
        asyncio.run(runner.start())
    except (KeyboardInterrupt, TerminationSignal) as exc:
        log.info("%s: stopped serving (schedules stay active)", type(exc).__name__)
