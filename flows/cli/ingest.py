"""archivist ingest: files, folders and URLs, or one named source, in-process or as a Prefect flow run.

Both ways run the one ingest loop (:func:`flows.run.run_ingest`); the sources
are expanded (and a named source's limits checked) here, once, before anything
runs. Prefect is imported only when a flow runs.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from storage import Archive
from storage.events import iso

from flows.cli.context import Context, echo_json, short
from flows.errors import FlowError
from flows.settings import apply_prefect_defaults
from flows.sources.model import SourceItem

if TYPE_CHECKING:
    from flows.progress import Progress


@dataclass
class Plan:
    """What one ``archivist ingest`` will ingest, checked before anything runs."""

    items: list[SourceItem]
    source_name: str | None = None
    max_bytes: int | None = None
    dask_address: str | None = None
    allow_private: bool = False
    skipped: list[str] = field(default_factory=list)  # what the expansion left out, reported with the run
    sources: list[str] | None = None  # what the items were expanded from, recorded with the run


def plan_ingest(obj: Context, sources: tuple[str, ...], source_name: str | None,
                sources_file: str | None, *, allow_private: bool = False, follow_links: bool = False) -> Plan:
    """Expand the sources (or plan the named source within its limits); raises :class:`FlowError`.

    ``allow_private`` (``--allow-private``) and the source's own
    ``allow_private`` let the fetcher reach loopback and private hosts;
    ``follow_links`` (``--follow-links``) lets folder walks follow symbolic links.
    """
    skipped: list[str] = []
    if not source_name:
        from flows.sources.model import expand

        items = expand(list(sources), follow_links=follow_links, skipped=skipped)
        return Plan(items, dask_address=obj.settings.dask_address, allow_private=allow_private, skipped=skipped,
                    sources=list(sources))
    from dataclasses import replace

    from flows.sources.file import load, plan

    loaded = load(sources_file)
    spec = loaded.get(source_name)
    if follow_links:
        spec = replace(spec, follow_links=True)
    locations, items = plan(spec, skipped)
    return Plan(items, source_name, spec.max_bytes, loaded.cluster_address(), sources=locations,
                allow_private=allow_private or spec.allow_private, skipped=skipped)


def run_in_process(obj: Context, archive: Archive, plan: Plan, progress: Progress | None = None,
                   reread: bool = False) -> dict[str, Any]:
    """The run without Prefect: same steps, same records; ``progress`` told after each document."""
    from flows.run import InProcessRunner, run_ingest

    trigger = f"cli:{plan.source_name}" if plan.source_name else "manual"
    runner = InProcessRunner(archive, obj.settings, max_bytes=plan.max_bytes, allow_private=plan.allow_private,
                             reread_files=reread)
    if progress is not None:
        progress.start(len(plan.items))
    return run_ingest(archive, plan.items, runner, trigger=trigger, warnings=plan.skipped,
                      progress=progress.on_tick if progress is not None else None, config=obj.settings,
                      sources=plan.sources).to_dict()


def prefect_starting_line() -> str:
    """What a flow run starts with: a temporary Prefect server (with the hint to skip it), or the one named."""
    import os

    url = os.environ.get("PREFECT_API_URL")
    if url:
        return f"connecting to the Prefect server at {url}…"
    return "starting a temporary Prefect server… (set PREFECT_API_URL to use a running one)"


def run_as_flow(archive: Archive, plan: Plan, progress: Progress | None = None, reread: bool = False
                ) -> dict[str, Any]:
    """The run as a Prefect flow run (on the Dask cluster when one is configured)."""
    apply_prefect_defaults("INFO" if logging.getLogger().isEnabledFor(logging.INFO) else "WARNING")
    if progress is not None:
        progress.say(prefect_starting_line())
    from flows.prefect.deployments import on_cluster, parameter_db_url
    from flows.prefect.ingest import Handover, handing_over, ingest_flow, watching

    trigger = f"cli:{plan.source_name}" if plan.source_name else "cli"
    # flow parameters are kept and shown by the Prefect server: a password goes by the environment
    db_url = parameter_db_url(archive.engine.url.render_as_string(hide_password=False))
    # the items go by this process, not as a parameter (Prefect refuses parameters over 512 KB)
    with watching(progress) as progress_id, handing_over(Handover(plan.items, plan.skipped, plan.sources)) as plan_id:
        result = on_cluster(ingest_flow, plan.dask_address)(
            home=str(archive.home), db_url=db_url, trigger=trigger, extract_in_task=bool(plan.dask_address),
            max_bytes=plan.max_bytes, allow_private=plan.allow_private, progress_id=progress_id, plan_id=plan_id,
            reread_files=reread)
    if plan.source_name:
        result["source"] = plan.source_name
    return result


@click.command()
@click.argument("sources", nargs=-1)
@click.option("--source", "source_name", metavar="NAME",
              help="Ingest the source NAME of the sources file (its paths, URLs and URL list, within its limits).")
@click.option("--sources", "sources_file", metavar="FILE",
              help="Sources file for --source. Default $ARCHIVIST_SOURCES, else ./sources.toml.")
@click.option("--no-prefect", is_flag=True, help="Run the same steps in-process, without a Prefect flow run.")
@click.option("--allow-private", is_flag=True,
              help="Fetch loopback, private and link-local hosts too (refused by default; "
                   "or ARCHIVIST_ALLOW_PRIVATE=1, or allow_private = true in the sources file).")
@click.option("--follow-links", is_flag=True, help="Follow symbolic links in folders (not followed by default).")
@click.option("--reread", is_flag=True,
              help="Read every file again, also one whose status says it is unchanged since it was archived "
                   "(or ARCHIVIST_REREAD_FILES=1).")
@click.option("--collector", metavar="WHO",
              help="Who collects in this run (custody of every item; over the source's collector and "
                   "$ARCHIVIST_COLLECTOR; default: the login name).")
@click.option("--note", metavar="TEXT", help="Purpose or case note recorded in the custody of every item.")
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON.")
@click.pass_obj
def ingest(obj: Context, sources: tuple[str, ...], source_name: str | None, sources_file: str | None,
           no_prefect: bool, allow_private: bool, follow_links: bool, as_json: bool,
           collector: str | None = None, note: str | None = None, reread: bool = False) -> None:
    """Ingest files, folders (recursively) and http(s) URLs, or one named source (--source NAME)."""
    started = time.perf_counter()
    started_at = iso(datetime.now(UTC))
    if source_name and sources:
        raise click.UsageError("give SOURCE... or --source NAME, not both")
    if sources_file and not source_name:
        raise click.UsageError("--sources FILE goes with --source NAME")
    if not (source_name or sources):
        raise click.UsageError("give SOURCE... (files, folders, http(s) URLs) or --source NAME")
    archive = obj.archive()  # ingest creates the archive, even when the plan is then refused
    try:  # validate before anything is fetched
        plan = plan_ingest(obj, sources, source_name, sources_file, allow_private=allow_private,
                           follow_links=follow_links)
    except FlowError as exc:
        raise click.ClickException(str(exc)) from exc
    from dataclasses import replace

    from flows.custody import given_for

    # the run's own custody (--collector, --note, $ARCHIVIST_COLLECTOR as read now) over the sources file's,
    # one dict for the items that were given the same (a folder's 500,000 files are as many items)
    shared: dict[tuple[tuple[str, Any], ...], dict[str, Any]] = {}

    def custody_of(given: dict[str, Any]) -> dict[str, Any]:
        try:
            key = tuple(sorted(given.items()))
            hash(key)
        except TypeError:  # a value that cannot be a key: this item's own dict
            return given_for(given, collector, note, obj.settings.collector)
        if key not in shared:
            shared[key] = given_for(given, collector, note, obj.settings.collector)
        return shared[key]

    plan.items = [replace(i, custody=custody_of(i.custody)) for i in plan.items]
    with obj.progress("ingest", len(plan.items)) as progress:
        if no_prefect:
            result = run_in_process(obj, archive, plan, progress, reread)
        else:
            try:
                result = run_as_flow(archive, plan, progress, reread)
            except FlowError as exc:
                raise click.ClickException(str(exc)) from exc
    total = time.perf_counter() - started
    result["total_seconds"] = total
    result["started_at"] = started_at
    result["startup_seconds"] = max(0.0, total - result["ingest_seconds"])
    if as_json:
        echo_json(run_json(result))
        return
    print_summary(archive, result)


def run_json(result: dict[str, Any]) -> dict[str, Any]:
    """``ingest --json``: the run's result with the listing's key names (a document's id is ``id``)."""
    data = dict(result)
    data["outcomes"] = [{("id" if k == "document_id" else k): v for k, v in row.items()}
                        for row in result.get("outcomes", [])]
    return data


def print_summary(archive: Archive, result: dict[str, Any], width: int = 20) -> None:
    """This run: the documents it stored (as new works or new versions of works), left unchanged and failed
    (with the reasons), the documents it added (at most ``width`` lines), then one line of the archive's totals."""
    counts = result["counts"]
    stored, versions = counts.get("stored", 0), counts.get("new_version", 0)
    click.echo(f"Run {result['run_id']}: {stored + versions} stored ({stored} new works, {versions} new versions "
               f"of works), {counts.get('unchanged', 0)} unchanged, {counts.get('failed', 0)} failed "
               f"({result['ingest_seconds']:.1f} s ingesting, {result['startup_seconds']:.1f} s start-up)")
    added = [o for o in result.get("outcomes", []) if o["status"] in ("stored", "new_version")]
    for row in added[:width]:
        what = "new work" if row["status"] == "stored" else f"{row.get('relation') or 'version'}"
        click.echo(f"  + doc {row['document_id']} work {row['work_id']} ({what}): {short(row['source'], 80)}")
    if len(added) > width:
        click.echo(f"  … and {len(added) - width} more (archivist documents --since {result['started_at']})")
    for failure in result["failures"]:
        click.echo(f"  failed: {failure['source']}: {failure['error']}")
    for warning in result.get("warnings", []):
        click.echo(f"  warning: {warning}")
    totals = archive.counts()
    click.echo(f"Archive {archive.home}: {totals['documents']} documents ({totals['failed']} failed) in "
               f"{totals['works']} works")


COMMANDS = [ingest]
