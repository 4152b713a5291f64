"""archivist ingest: files, folders and URLs, or one named source, in-process or as a Prefect flow run.

Both ways run the one ingest loop (:func:`flows.run.run_ingest`); the sources
are expanded (and a named source's limits checked) here, once, before anything
runs. Prefect is imported only when a flow runs.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import click

from storage import Archive

from flows.cli.context import Context, echo_json
from flows.cli.documents import print_works
from flows.errors import FlowError
from flows.settings import apply_prefect_defaults
from flows.sources.model import SourceItem


@dataclass
class Plan:
    """What one ``archivist ingest`` will ingest, checked before anything runs."""

    items: list[SourceItem]
    source_name: str | None = None
    max_bytes: int | None = None
    dask_address: str | None = None
    allow_private: bool = False
    skipped: list[str] = field(default_factory=list)  # what the expansion left out, reported with the run


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
        return Plan(items, dask_address=obj.settings.dask_address, allow_private=allow_private, skipped=skipped)
    from dataclasses import replace

    from flows.sources.file import load, plan

    loaded = load(sources_file)
    spec = loaded.get(source_name)
    if follow_links:
        spec = replace(spec, follow_links=True)
    _locations, items = plan(spec, skipped)
    return Plan(items, source_name, spec.max_bytes, loaded.cluster_address(),
                allow_private=allow_private or spec.allow_private, skipped=skipped)


def run_in_process(obj: Context, archive: Archive, plan: Plan) -> dict[str, Any]:
    """The run without Prefect: same steps, same records."""
    from flows.run import InProcessRunner, run_ingest

    trigger = f"cli:{plan.source_name}" if plan.source_name else "manual"
    runner = InProcessRunner(archive, obj.settings, max_bytes=plan.max_bytes, allow_private=plan.allow_private)
    return run_ingest(archive, plan.items, runner, trigger=trigger, warnings=plan.skipped).to_dict()


def run_as_flow(archive: Archive, plan: Plan) -> dict[str, Any]:
    """The run as a Prefect flow run (on the Dask cluster when one is configured)."""
    apply_prefect_defaults("INFO" if logging.getLogger().isEnabledFor(logging.INFO) else "WARNING")
    from flows.prefect.deployments import on_cluster
    from flows.prefect.ingest import ingest_flow

    trigger = f"cli:{plan.source_name}" if plan.source_name else "cli"
    db_url = archive.engine.url.render_as_string(hide_password=False)
    result = on_cluster(ingest_flow, plan.dask_address)(
        home=str(archive.home), db_url=db_url, trigger=trigger, extract_in_task=bool(plan.dask_address),
        max_bytes=plan.max_bytes, items=plan.items, allow_private=plan.allow_private, warnings=plan.skipped)
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
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON.")
@click.pass_obj
def ingest(obj: Context, sources: tuple[str, ...], source_name: str | None, sources_file: str | None,
           no_prefect: bool, allow_private: bool, follow_links: bool, as_json: bool) -> None:
    """Ingest files, folders (recursively) and http(s) URLs, or one named source (--source NAME)."""
    started = time.perf_counter()
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
    if no_prefect:
        result = run_in_process(obj, archive, plan)
    else:
        try:
            result = run_as_flow(archive, plan)
        except FlowError as exc:
            raise click.ClickException(str(exc)) from exc
    total = time.perf_counter() - started
    result["total_seconds"] = total
    result["startup_seconds"] = max(0.0, total - result["ingest_seconds"])
    if as_json:
        echo_json(result)
        return
    print_summary(archive, result)


def print_summary(archive: Archive, result: dict[str, Any]) -> None:
    """A run's counts and failures, then the archive's totals and works."""
    counts = result["counts"]
    click.echo(f"Run {result['run_id']}: {counts.get('stored', 0)} stored, {counts.get('new_version', 0)} new "
               f"version, {counts.get('unchanged', 0)} unchanged, {counts.get('failed', 0)} failed "
               f"({result['ingest_seconds']:.1f} s ingesting, {result['startup_seconds']:.1f} s start-up)")
    for failure in result["failures"]:
        click.echo(f"  failed: {failure['source']}: {failure['error']}")
    for warning in result.get("warnings", []):
        click.echo(f"  warning: {warning}")
    totals = archive.counts()
    click.echo(f"Archive {archive.home}: {totals['documents']} documents ({totals['failed']} failed) in "
               f"{totals['works']} works, {totals['footnotes']} footnotes")
    print_works(archive)


COMMANDS = [ingest]
