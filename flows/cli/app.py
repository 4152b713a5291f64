"""The ``archivist`` command: a thin click layer over ``storage`` and ``flows``.

Query commands never import Prefect; only commands that run flows do.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any

import click

from storage import Archive, DocumentNotFound, StorageError
from storage.records import document_detail, document_summary

from flows.errors import FlowError


def echo_json(value: Any) -> None:
    """Print ``value`` as indented JSON (what every ``--json`` option prints)."""
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _short(text: str | None, width: int) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


class Context:
    def __init__(self, home: str | None, db_url: str | None):
        self.home = home
        self.db_url = db_url
        self._archive: Archive | None = None

    def archive(self) -> Archive:
        if self._archive is None:
            try:
                self._archive = Archive.open(self.home, self.db_url)
            except StorageError as exc:
                raise click.ClickException(str(exc)) from exc
        return self._archive


@click.group()
@click.option("--home", envvar="ARCHIVIST_HOME", default=None, metavar="DIR",
              help="Archive directory (SQLite file and blob store). Default ./archive, env ARCHIVIST_HOME.")
@click.option("--db", "db_url", envvar="ARCHIVIST_DB_URL", default=None, metavar="URL",
              help="Database URL (e.g. postgresql://…). Default SQLite in the home, env ARCHIVIST_DB_URL.")
@click.option("-v", "--verbose", count=True, help="More log output.")
@click.pass_context
def cli(ctx: click.Context, home: str | None, db_url: str | None, verbose: int) -> None:
    """archivist: keep documents byte for byte, with their text, footnotes, works and history."""
    logging.basicConfig(level=logging.WARNING - 10 * min(verbose, 2), format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = Context(home, db_url)
    ctx.call_on_close(lambda: ctx.obj._archive.close() if ctx.obj._archive else None)


@cli.command()
@click.argument("sources", nargs=-1)
@click.option("--source", "source_name", metavar="NAME",
              help="Ingest the source NAME of the sources file (its paths, URLs and URL list, within its limits).")
@click.option("--sources", "sources_file", metavar="FILE",
              help="Sources file for --source. Default $ARCHIVIST_SOURCES, else ./sources.toml.")
@click.option("--no-prefect", is_flag=True, help="Run the same steps in-process, without a Prefect flow run.")
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON.")
@click.pass_obj
def ingest(obj: Context, sources: tuple[str, ...], source_name: str | None, sources_file: str | None,
           no_prefect: bool, as_json: bool) -> None:
    """Ingest files, folders (recursively) and http(s) URLs, or one named source (--source NAME)."""
    from flows.sources.model import expand

    started = time.perf_counter()
    if source_name and sources:
        raise click.UsageError("give SOURCE... or --source NAME, not both")
    if sources_file and not source_name:
        raise click.UsageError("--sources FILE goes with --source NAME")
    if not (source_name or sources):
        raise click.UsageError("give SOURCE... (files, folders, http(s) URLs) or --source NAME")
    dask_address = os.environ.get("ARCHIVIST_DASK_ADDRESS") or None
    sources_path = None
    max_bytes = None
    try:  # validate before anything runs
        if source_name:
            from flows.sources.file import load, plan

            loaded = load(sources_file)
            spec = loaded.get(source_name)
            locations, items = plan(spec)
            max_bytes = spec.max_bytes
            sources_path, dask_address = str(loaded.path), loaded.cluster_address()
        else:
            locations = list(sources)
            items = expand(locations)
    except FlowError as exc:
        raise click.ClickException(str(exc)) from exc
    archive = obj.archive()
    if no_prefect:
        from flows.steps import run_direct

        run_id, summary, elapsed = run_direct(archive, items, max_bytes=max_bytes,
                                              **({"trigger": f"cli:{source_name}"} if source_name else {}))
        result = {"run_id": run_id, "counts": summary.counts, "failures": summary.failures,
                  "outcomes": summary.outcomes, "ingest_seconds": elapsed}
    else:
        # Evidence work should not phone home: Prefect's anonymous telemetry stays off unless asked for.
        os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        os.environ.setdefault("DO_NOT_TRACK", "1")
        # The temporary Prefect server gets longer than its 20 s default to start on a busy machine.
        os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING" if not logging.getLogger().isEnabledFor(
            logging.INFO) else "INFO")
        db_url = archive.engine.url.render_as_string(hide_password=False)
        try:
            if source_name:
                from flows.prefect.deployments import source_flow

                result = source_flow(dask_address)(source=source_name, sources_file=sources_path,
                                                   home=str(archive.home), db_url=db_url, trigger="cli",
                                                   extract_in_task=bool(dask_address))
            else:
                from flows.prefect.deployments import dask_task_runner
                from flows.prefect.ingest import ingest_flow

                runner = dask_task_runner(dask_address)
                flow_ = ingest_flow if runner is None else ingest_flow.with_options(task_runner=runner)
                result = flow_(locations, home=str(archive.home), db_url=db_url, trigger="cli",
                               extract_in_task=runner is not None)
        except FlowError as exc:
            raise click.ClickException(str(exc)) from exc
    total = time.perf_counter() - started
    result["total_seconds"] = total
    result["startup_seconds"] = max(0.0, total - result["ingest_seconds"])
    if as_json:
        echo_json(result)
        return
    _print_summary(archive, result)


def _print_summary(archive: Archive, result: dict[str, Any]) -> None:
    counts = result["counts"]
    click.echo(f"Run {result['run_id']}: {counts.get('stored', 0)} stored, {counts.get('new_version', 0)} new "
               f"version, {counts.get('unchanged', 0)} unchanged, {counts.get('failed', 0)} failed "
               f"({result['ingest_seconds']:.1f} s ingesting, {result['startup_seconds']:.1f} s start-up)")
    for failure in result["failures"]:
        click.echo(f"  failed: {failure['source']}: {failure['error']}")
    totals = archive.counts()
    click.echo(f"Archive {archive.home}: {totals['documents']} documents ({totals['failed']} failed) in "
               f"{totals['works']} works, {totals['footnotes']} footnotes")
    _print_works(archive)


def _print_works(archive: Archive) -> None:
    for work in archive.works():
        click.echo(f"  work {work.id}: {_short(work.title, 70) or '(untitled)'}")
        for doc in work.documents:
            click.echo(f"    v{doc.version} doc {doc.id} {doc.relation:<9} {doc.status:<6} {doc.format or '-':<8} "
                       f"{_short(doc.source, 60)}")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def documents(obj: Context, as_json: bool) -> None:
    """Every record, failed ones too."""
    docs = obj.archive().documents()
    if as_json:
        echo_json([document_summary(d) for d in docs])
        return
    for d in docs:
        click.echo(f"{d.id:>5} {d.status:<6} w{d.work_id}v{d.version} {d.media_type:<22} {d.sha256[:12]} "
                   f"{_short(d.title or d.source, 60)}")
        if d.error:
            click.echo(f"      error: {d.error}")


@cli.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
@click.option("--csl", is_flag=True, help="Print the document's citations as CSL-JSON (for Zotero and friends).")
@click.pass_obj
def show(obj: Context, ref: str, as_json: bool, csl: bool) -> None:
    """One record (by id, SHA-256 prefix or identifier) with text and footnotes."""
    try:
        doc = obj.archive().document(ref)
    except DocumentNotFound as exc:
        raise click.ClickException(str(exc)) from exc
    if csl:
        from storage.citations.csl import document_csl

        echo_json(document_csl(doc))
        return
    data = document_detail(doc)
    data["cited_by"] = obj.archive().cited_by(doc.id)
    if as_json:
        echo_json(data)
        return
    for key in ("id", "status", "error", "source", "sha256", "size", "media_type", "format", "title", "date",
                "authors", "language", "work_id", "version", "relation", "ingested_at"):
        if data.get(key) not in (None, [], ""):
            click.echo(f"{key:>12}: {data[key]}")
    for ident in data["identifiers"]:
        click.echo(f"{'identifier':>12}: {ident['scheme']} {ident['value']}")
    for warning in data["warnings"]:
        click.echo(f"{'warning':>12}: {warning}")
    click.echo("")
    click.echo(data["text"] or "")
    if data["footnotes"]:
        click.echo("\nFootnotes")
        for note in data["footnotes"]:
            click.echo(f"  [{note['label']}] {note['text']}")
            if note["context"]:
                click.echo(f"      cited at: {_short(note['context'], 110)}")
    if data["cited_by"]:
        click.echo("\nCited by")
        for entry in data["cited_by"]:
            click.echo(f"  doc {entry.get('document_id')} note [{entry.get('label')}]: "
                       f"{_short(entry.get('context') or entry.get('note_text'), 100)}")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def works(obj: Context, as_json: bool) -> None:
    """Works with their versions in order."""
    archive = obj.archive()
    if as_json:
        echo_json([{"id": w.id, "title": w.title, "versions": [document_summary(d) for d in w.documents]}
                    for w in archive.works()])
        return
    _print_works(archive)


@cli.command()
@click.argument("query", nargs=-1, required=True)
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def search(obj: Context, query: tuple[str, ...], limit: int, as_json: bool) -> None:
    """Full-text search with snippets: words as a phrase first, else every word anywhere."""
    hits = obj.archive().search(" ".join(query), limit)
    if as_json:
        echo_json([{"id": h.document_id, "title": h.title, "source": h.source, "snippet": h.snippet,
                     "rank": h.rank} for h in hits])
        return
    if not hits:
        click.echo("no matches")
    for h in hits:
        click.echo(f"{h.document_id:>5} {_short(h.title or h.source, 70)}\n      {h.snippet}")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.option("--record", is_flag=True, help="Also append the outcome to the event chain (a 'verified' event).")
@click.pass_obj
def verify(obj: Context, as_json: bool, record: bool) -> None:
    """Integrity check: exit 0 when clean, 1 on any problem."""
    from storage.integrity.fixity import record_verification
    from storage.integrity.fixity import verify as run_verify

    report = run_verify(obj.archive())
    if record:
        record_verification(obj.archive(), report)
    if as_json:
        echo_json(report.to_dict())
    else:
        click.echo(f"checked {report.documents} documents, {report.blobs_hashed} files "
                   f"({report.bytes_hashed} bytes), {report.events} events")
        click.echo(f"chain head: event {report.head_id} {report.head_hash}")
        for p in report.problems:
            click.echo(f"PROBLEM {p.kind}: {p.message}" + (f" (expected {p.expected}, found {p.found})"
                                                          if p.expected or p.found else ""))
        click.echo("OK" if report.ok else f"{len(report.problems)} problem(s)")
    sys.exit(0 if report.ok else 1)


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def runs(obj: Context, as_json: bool) -> None:
    """Ingest runs, newest first, with their counts and failures."""
    rows = obj.archive().runs()
    data = [{"id": r.id, "started_at": str(r.started_at), "finished_at": str(r.finished_at) if r.finished_at else None,
             "status": r.status, "trigger": r.trigger, "counts": r.counts, "failures": r.failures,
             "flow_run_id": r.flow_run_id} for r in rows]
    if as_json:
        echo_json(data)
        return
    for r in data:
        click.echo(f"{r['id']:>4} {r['status']:<9} {r['started_at'][:19]} {r['trigger'] or '':<8} {r['counts']}")


def main() -> None:
    """Entry point of the console script."""
    cli()


# Command groups kept in their own modules register themselves on ``cli``.
from flows.cli import citations as cli_citations  # noqa: E402,F401
from flows.cli import integrity as cli_integrity
from flows.cli import ops as cli_ops
from flows.cli import versions as cli_versions
