"""archivist documents, show, works, search and runs (reading the archive; never imports Prefect)."""

from __future__ import annotations

import click

from storage import Archive
from storage.records import document_detail, document_summary

from flows.cli.context import Context, echo_json, json_option, short


def print_works(archive: Archive) -> None:
    """Every work with its versions, one line each."""
    for work in archive.works():
        click.echo(f"  work {work.id}: {short(work.title, 70) or '(untitled)'}")
        for doc in work.documents:
            click.echo(f"    v{doc.version} doc {doc.id} {doc.relation:<9} {doc.status:<6} {doc.format or '-':<8} "
                       f"{short(doc.source, 60)}")


@click.command()
@json_option()
@click.pass_obj
def documents(obj: Context, as_json: bool) -> None:
    """Every record, failed ones too."""
    docs = obj.archive().documents()
    if as_json:
        echo_json([document_summary(d) for d in docs])
        return
    for d in docs:
        click.echo(f"{d.id:>5} {d.status:<6} w{d.work_id}v{d.version} {d.media_type:<22} {d.sha256[:12]} "
                   f"{short(d.title or d.source, 60)}")
        if d.error:
            click.echo(f"      error: {d.error}")


@click.command()
@click.argument("ref")
@json_option()
@click.option("--csl", is_flag=True, help="Print the document's citations as CSL-JSON (for Zotero and friends).")
@click.pass_obj
def show(obj: Context, ref: str, as_json: bool, csl: bool) -> None:
    """One record (by id, SHA-256 prefix or identifier) with text and footnotes."""
    doc = obj.document(ref)
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
                click.echo(f"      cited at: {short(note['context'], 110)}")
    if data["cited_by"]:
        click.echo("\nCited by")
        for entry in data["cited_by"]:
            click.echo(f"  doc {entry.get('document_id')} note [{entry.get('label')}]: "
                       f"{short(entry.get('context') or entry.get('note_text'), 100)}")


@click.command()
@json_option()
@click.pass_obj
def works(obj: Context, as_json: bool) -> None:
    """Works with their versions in order."""
    archive = obj.archive()
    if as_json:
        echo_json([{"id": w.id, "title": w.title, "versions": [document_summary(d) for d in w.documents]}
                    for w in archive.works()])
        return
    print_works(archive)


@click.command()
@click.argument("query", nargs=-1, required=True)
@click.option("--limit", default=20, show_default=True)
@json_option()
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
        click.echo(f"{h.document_id:>5} {short(h.title or h.source, 70)}\n      {h.snippet}")


@click.command()
@json_option()
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


COMMANDS = [documents, show, works, search, runs]
