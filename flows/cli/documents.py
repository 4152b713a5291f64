"""archivist documents, show, works, search and runs (reading the archive; never imports Prefect)."""

from __future__ import annotations

import re

import click

from storage import Archive
from storage.models import Document
from storage.search import SearchFilters, SearchQueryError
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
@click.option("--note", "note_seq", type=int, help="Only footnote N (as `search` names it) and where it is cited.")
@click.pass_obj
def show(obj: Context, ref: str, as_json: bool, csl: bool, note_seq: int | None) -> None:
    """One record (by id, SHA-256 prefix or identifier) with text and footnotes."""
    doc = obj.document(ref)
    if note_seq is not None:
        show_note(doc, note_seq, as_json)
        return
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
                "authors", "language", "work_id", "version", "relation", "relation_reason", "file_date", "part_of",
                "ingested_at"):
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
    for heading, key in (("Parts", "parts"), ("Thread", "thread")):
        if data.get(key):
            click.echo(f"\n{heading}")
            for part in data[key]:
                click.echo(f"  doc {part.get('id')} {part.get('status', '')} {part.get('format') or ''} "
                           f"{part.get('source') or ''}")
    if data["cited_by"]:
        click.echo("\nCited by")
        for entry in data["cited_by"]:
            click.echo(f"  doc {entry.get('document_id')} note [{entry.get('label')}]: "
                       f"{short(entry.get('context') or entry.get('note_text'), 100)}")


def show_note(doc: Document, seq: int, as_json: bool) -> None:
    """One footnote of ``doc`` with the sentence of each of its markers."""
    note = next((n for n in doc.footnotes if n.seq == seq), None)
    if note is None:
        raise click.ClickException(f"document {doc.id} has no note {seq} (it has {len(doc.footnotes)})")
    markers = [{"seq": m.seq, "position": m.position, "page": m.page, "context": m.context} for m in note.markers]
    if as_json:
        echo_json({"document_id": doc.id, "seq": note.seq, "label": note.label, "text": note.text,
                   "page": note.page, "context": note.context, "markers": markers})
        return
    click.echo(f"doc {doc.id} note [{note.label}] (note {note.seq}{f', page {note.page}' if note.page else ''})")
    click.echo(f"  {note.text}")
    for m in markers:
        where = f"offset {m['position']}" + (f", page {m['page']}" if m["page"] else "")
        click.echo(f"  cited at ({where}): {short(m['context'] or note.context, 200)}")


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


class SearchError(click.ClickException):
    """A malformed, oversized or too slow query: one line, exit 2."""

    exit_code = 2




def _highlight(snippet: str) -> str:
    """The bracketed matches of a snippet in bold (click drops the styling when not on a terminal)."""
    return re.sub(r"\[([^\[\]]+)\]", lambda m: click.style(m.group(0), bold=True, fg="yellow"), snippet)


@click.command(context_settings={"ignore_unknown_options": True})  # "-word" is an exclusion, not an option
@click.argument("query", nargs=-1, required=True)
@click.option("--limit", default=20, show_default=True, help="Works per page.")
@click.option("--offset", default=0, show_default=True, help="Works to skip (paging).")
@click.option("--date-from", help="Documents dated on or after (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--date-to", help="Documents dated on or before (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--language", help="Language code, e.g. en, fa, ar, fr.")
@click.option("--format", "fmt", help="Format: pdf, html, text, markdown, wikitext, …")
@click.option("--work", type=int, help="Only versions of this work.")
@click.option("--identifier", help="Only documents with this identifier (e.g. A/HRC/37/24).")
@json_option("A list of work hits: id, work_id, documents, title, source, snippet, rank, total, total_exact, notes.")
@click.pass_obj
def search(obj: Context, query: tuple[str, ...], limit: int, offset: int, date_from: str | None,
           date_to: str | None, language: str | None, fmt: str | None, work: int | None,
           identifier: str | None, as_json: bool) -> None:
    """Full-text search, one hit per work: words, "phrase", prefix*, OR, -exclude, title: note: id:.

    Bare words first match as a phrase; if no document has the phrase, every word anywhere.
    """
    filters = SearchFilters(date_from, date_to, language, fmt, work, identifier)
    try:
        result = obj.archive().search(" ".join(query), filters, limit, offset)
    except SearchQueryError as exc:
        raise SearchError(str(exc)) from exc
    if as_json:
        echo_json([h.to_dict(result.total, result.total_exact) for h in result.hits])
        return
    if not result.hits:
        click.echo("no matches" if not result.total else f"no matches on this page ({result.total} in all)")
        return
    first = offset + 1
    at_least = "" if result.total_exact else "at least "
    click.echo(f"{at_least}{result.total} work{'s' if result.total != 1 else ''} match; "
               f"{first}-{offset + len(result.hits)} shown")
    for n, h in enumerate(result.hits, start=first):
        versions = f" (matching versions: docs {', '.join(map(str, h.documents))})" if len(h.documents) > 1 else ""
        click.echo(f"{n:>4}. work {h.work_id} doc {h.document_id}{versions}: {short(h.title or h.source, 70)}")
        click.echo(f"      {_highlight(h.snippet)}")
        for note in h.notes:
            click.echo(f"      note [{note.label}]: {_highlight(note.snippet)}")
            if note.marker_context:
                click.echo(f"        cited at: {short(note.marker_context, 100)}")
            click.echo(f"        see: archivist show {h.document_id} --note {note.seq}")


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
