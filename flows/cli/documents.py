"""archivist documents, show, works, search and runs (reading the archive; never imports Prefect)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

import click

from storage.events import iso
from storage.models import Document, Work
from storage.provenance import FILE_STATUS_PREFIX
from storage.search import SearchFilters, SearchQueryError
from storage.records import document_summary

from flows.cli.context import Context, echo_json, echo_json_listing, json_option, short
from flows.cli.queries import STATUSES, Filters, QueryError, find_documents, find_works, parse_since

F = TypeVar("F", bound=Callable[..., Any])


def _day(value: datetime | None) -> str:
    return iso(value)[:16].replace("T", " ") + "Z" if value is not None else "-"


DOCUMENT_HEADER = (f"{'ID':>5}  {'STATUS':<6}  {'WORK':>5} {'V':>2}  {'FORMAT':<8}  {'DATE':<10}  "
                   f"{'INGESTED':<17}  {'SHA-256':<12}  TITLE OR SOURCE")


def document_row(d: Document) -> str:
    """One line of ``documents``: id, status, work and version, format, date, ingest time, hash, title."""
    return (f"{d.id:>5}  {d.status:<6}  {d.work_id:>5} {d.version:>2}  {short(d.format or '-', 8):<8}  "
            f"{short(d.date or '-', 10):<10}  {_day(d.ingested_at):<17}  {d.sha256[:12]}  "
            f"{short(d.title or d.source, 60)}")


def listing_options(what: str) -> Callable[[F], F]:
    """``--status``, ``--since``, ``--format``, ``--limit``, ``--offset`` of ``documents`` and ``works``."""
    def decorate(command: F) -> F:
        for option in reversed([
            click.option("--status", type=click.Choice(STATUSES), help=f"Only {what} with a version of this status."
                         if what == "works" else "Only documents of this status."),
            click.option("--since", metavar="WHEN", help="Ingested since a date, a UTC time or an age "
                         "(2026-12-01, 2026-12-01T12:00Z, 30m, 12h, 7d, 2w)."),
            click.option("--format", "fmt", metavar="FORMAT",
                         help="Only this document format: pdf, html, text, markdown, wikitext, email, …"),
            click.option("--limit", type=click.IntRange(min=0), default=None, help=f"At most this many {what}."),
            click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True,
                         help=f"{what.capitalize()} to skip (paging)."),
        ]):
            command = option(command)
        return command
    return decorate


def _filters(status: str | None, since: str | None, fmt: str | None) -> Filters:
    try:
        return Filters(status, parse_since(since), fmt)
    except QueryError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from exc


def _footer(shown: int, total: int, offset: int, what: str) -> str:
    """``12 documents``, ``1-20 of 140 documents``, or ``none of 140 documents from --offset 200``."""
    if shown == total:
        return f"{total} {what}"
    return f"{offset + 1}-{offset + shown} of {total} {what}" if shown else \
        f"none of {total} {what} from --offset {offset}"


@click.command()
@listing_options("documents")
@json_option("{schema_version, total, limit, offset, documents: [...]} (flows/cli/schemas/documents.json).")
@click.pass_obj
def documents(obj: Context, status: str | None, since: str | None, fmt: str | None, limit: int | None,
              offset: int, as_json: bool) -> None:
    """Every record (failed ones too), by id, with a header; filter by status, ingest time and format."""
    total, docs = find_documents(obj.archive(), _filters(status, since, fmt), limit, offset)
    if as_json:
        echo_json_listing({"total": total, "limit": limit, "offset": offset}, "documents",
                          (document_summary(d) for d in docs))
        return
    shown = 0
    for d in docs:
        if not shown:
            click.echo(DOCUMENT_HEADER)
        shown += 1
        click.echo(document_row(d))
        if d.error:
            click.echo(f"{'':>7}error: {short(d.error, 110)}")
    if shown or total:
        click.echo(_footer(shown, total, offset, "documents"))
    else:
        click.echo(f"no documents{' match' if status or since or fmt else ''}")


def print_works(works_: Iterable[Work]) -> int:
    """Every work with its versions, one line each: a header, then the versions under their work
    (nothing when there are none); how many works were printed."""
    shown = 0
    for work in works_:
        if not shown:
            click.echo(f"{'WORK':>5}  {'VERSIONS':>8}  {'FIRST DATE':<10}  {'LAST INGESTED':<17}  TITLE")
        shown += 1
        dates = sorted(d.date for d in work.documents if d.date)
        last = max((d.ingested_at for d in work.documents), default=None)
        click.echo(f"{work.id:>5}  {len(work.documents):>8}  {short(dates[0] if dates else '-', 10):<10}  "
                   f"{_day(last):<17}  {short(work.title, 70) or '(untitled)'}")
        for doc in work.documents:
            click.echo(f"{'':>7}v{doc.version} doc {doc.id} {doc.relation:<9} {doc.status:<6} "
                       f"{short(doc.format or '-', 8):<8} {short(doc.date or '-', 10):<10} {short(doc.source, 60)}")
    return shown


@click.command()
@click.argument("ref")
@json_option()
@click.option("--csl", is_flag=True, help="Print the document's citations as CSL-JSON (for Zotero and friends).")
@click.option("--note", "note_seq", type=int, help="Only footnote N (as `search` names it) and where it is cited.")
@click.pass_obj
def show(obj: Context, ref: str, as_json: bool, csl: bool, note_seq: int | None) -> None:
    """One record (by id, SHA-256 prefix of 6+ digits, identifier or URL) with where and when it was fetched,
    its text and footnotes; when REF names more documents (an identifier several carry), they are listed."""
    ids = obj.matches(ref)
    doc = obj.document(str(ids[0]))
    if note_seq is not None:
        show_note(doc, note_seq, as_json)
        return
    if csl:
        from storage.citations.csl import document_csl

        echo_json(document_csl(doc))
        return
    from storage.browse import document_payload

    data = document_payload(obj.archive(), doc, ids)
    if as_json:
        echo_json(data)
        return
    if len(ids) > 1:
        click.echo(f"{ref.strip()!r} names {len(ids)} documents; the first is shown (archivist show ID for another):")
        for m in data["matches"]:
            click.echo(f"  {'*' if m['id'] == doc.id else ' '} doc {m['id']} {m['status']:<6} work {m['work_id']} "
                       f"v{m['version']} {m['format'] or '-':<8} {m['sha256'][:12]} {short(m['title'] or m['source'], 60)}")
        click.echo("")
    print_detail(data)


def print_detail(data: dict[str, Any]) -> None:
    """``show``'s text: the record's fields, its fetches, text, footnotes, parts and who cites it."""
    for key in ("id", "status", "error", "source", "sha256", "size", "media_type", "format", "title", "date",
                "authors", "language", "work_id", "version", "relation", "relation_reason", "file_date", "part_of",
                "obtained_at", "ingested_at"):
        if data.get(key) not in (None, [], ""):
            click.echo(f"{key:>12}: {data[key]}")
    for ident in data["identifiers"]:
        click.echo(f"{'identifier':>12}: {ident['scheme']} {ident['value']}")
    for warning in data["warnings"]:
        click.echo(f"{'warning':>12}: {warning}")
    for fetch in data["fetches"]:
        answer = ", ".join(x for x in (
            f"HTTP {fetch['status_code']}" if fetch["status_code"] else "",
            f"via {fetch['final_url']}" if fetch["final_url"] and fetch["final_url"] != fetch["source"] else "",
            (f"status {fetch['etag']}" if fetch["etag"].startswith(FILE_STATUS_PREFIX) else f"ETag {fetch['etag']}")
            if fetch["etag"] else "",
            f"Last-Modified {fetch['last_modified']}" if fetch["last_modified"] else "",
            f"WARC {fetch['warc_path']}" if fetch["warc_path"] else "",
            f"run {fetch['run_id']}" if fetch["run_id"] else "") if x)
        click.echo(f"{'fetched':>12}: {fetch['fetched_at']} {fetch['source']}" + (f" ({answer})" if answer else ""))
    from flows.custody import custody_lines

    for line in custody_lines(data.get("custody"), data.get("derivation")):
        click.echo(line)
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
@listing_options("works")
@json_option("{schema_version, total, limit, offset, works: [{id, title, versions: [...]}]} "
             "(flows/cli/schemas/works.json).")
@click.pass_obj
def works(obj: Context, status: str | None, since: str | None, fmt: str | None, limit: int | None,
          offset: int, as_json: bool) -> None:
    """Works with their versions in order; filters keep the works with a version that passes them."""
    total, found = find_works(obj.archive(), _filters(status, since, fmt), limit, offset)
    if as_json:
        echo_json_listing({"total": total, "limit": limit, "offset": offset}, "works",
                          ({"id": w.id, "title": w.title, "versions": [document_summary(d) for d in w.documents]}
                           for w in found))
        return
    shown = print_works(found)
    if shown or total:
        click.echo(_footer(shown, total, offset, "works"))
    else:
        click.echo(f"no works{' match' if status or since or fmt else ''}")


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
@json_option("{schema_version, query, total, total_exact, limit, offset, hits: [{id, work_id, documents, title, "
             "source, snippet, rank, total, total_exact, notes}]}, as the web API's /api/search.")
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
        echo_json({"query": " ".join(query), "total": result.total, "total_exact": result.total_exact,
                   "limit": result.limit, "offset": result.offset,
                   "hits": [h.to_dict(result.total, result.total_exact) for h in result.hits]})
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


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


@click.command()
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="The newest N runs.")
@click.option("--failures", "all_failures", is_flag=True, help="List every failure and warning (else the first 3 of each per run).")
@json_option("{schema_version, runs: [...]} (flows/cli/schemas/runs.json).")
@click.pass_obj
def runs(obj: Context, limit: int, all_failures: bool, as_json: bool) -> None:
    """Ingest runs, newest first: a table of status, start, duration and counts, with their failures."""
    from storage.browse import run_dict

    data = [run_dict(r) for r in obj.archive().runs(limit)]
    if as_json:
        echo_json({"runs": data})
        return
    if not data:
        click.echo("no runs")
        return
    click.echo(f"{'RUN':>5}  {'STATUS':<11}  {'STARTED':<17}  {'DURATION':>9}  {'NEW':>5}  {'VERSIONS':>8}  "
               f"{'UNCHANGED':>9}  {'FAILED':>6}  TRIGGER")
    for r in data:
        c = r["counts"]
        click.echo(f"{r['id']:>5}  {r['status']:<11}  {r['started_at'][:16].replace('T', ' ') + 'Z':<17}  "
                   f"{_duration(r['duration_s']):>9}  {c.get('stored', 0):>5}  {c.get('new_version', 0):>8}  "
                   f"{c.get('unchanged', 0):>9}  {c.get('failed', 0):>6}  {r['trigger'] or '-'}")
        shown = r["failures"] if all_failures else r["failures"][:3]
        for failure in shown:
            click.echo(f"{'':>7}failed: {short(str(failure.get('source')), 60)}: {short(str(failure.get('error')), 90)}")
        if len(r["failures"]) > len(shown):
            click.echo(f"{'':>7}… and {len(r['failures']) - len(shown)} more failures (--failures lists them)")
        warned = r["warnings"] if all_failures else r["warnings"][:3]
        for warning in warned:
            click.echo(f"{'':>7}warning: {short(str(warning), 150)}")
        if len(r["warnings"]) > len(warned):
            click.echo(f"{'':>7}… and {len(r['warnings']) - len(warned)} more warnings (--failures lists them)")


COMMANDS = [documents, show, works, search, runs]
