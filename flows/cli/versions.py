"""archivist diff, history and regroup (versions commands)."""

from __future__ import annotations

from dataclasses import asdict

import click

from storage.events import iso
from storage.works.diffing import diff_documents, diff_texts, render

from flows.cli.context import Context, echo_json, json_option


@click.command()
@click.argument("a")
@click.argument("b")
@json_option()
@click.pass_obj
def diff(obj: Context, a: str, b: str, as_json: bool) -> None:
    """Paragraphs added, removed and changed from document A to B (canonical text)."""
    doc_a, doc_b = obj.document(a), obj.document(b)
    result = diff_documents(doc_a, doc_b)
    if as_json:
        echo_json(result.to_dict())
    else:
        click.echo(render(result))


def _work_of(obj: Context, ref: str, as_document: bool):
    """The work named by ``ref``: a work id, or (``doc:ID``, ``--document``, a hash, an identifier) a document's."""
    archive = obj.archive()
    text = ref.strip()
    if text.isdigit() and not as_document:
        work = archive.work(int(text))
        if work is None:
            raise click.ClickException(f"no work {text}")
        return work, None
    doc = obj.document(text[4:] if text.lower().startswith("doc:") else text)
    return archive.work(doc.work_id), doc.id


def _change_against(doc, by_id: dict, previous):
    """The version ``doc`` is diffed against: the one it relates to, else the previous stored one."""
    base = by_id.get(doc.related_document_id) if doc.related_document_id else None
    if base is None or base.status != "stored":
        base = previous
    if base is None or doc.status != "stored":
        return None, None
    result = diff_texts(base.text or "", doc.text or "", None, None,
                        [n.text for n in base.footnotes], [n.text for n in doc.footnotes])
    return base.id, result.stats | {"summary": result.summary}


def _history_rows(obj: Context, work) -> list[dict]:
    # each version with its footnotes (a note's text may sit in the body of another rendition)
    versions = [obj.document(str(d.id)) for d in work.documents]
    by_id = {d.id: d for d in versions}
    rows = []
    previous = None
    for doc in versions:
        against, change = _change_against(doc, by_id, previous)
        own = doc.date
        rows.append({"version": doc.version, "id": doc.id, "relation": doc.relation,
                     "relation_reason": doc.relation_reason, "related_document_id": doc.related_document_id,
                     "date": own, "file_date": doc.file_date, "obtained_at": iso(doc.obtained_at),
                     # the date shown is the ingest date when the document states none
                     "shown_date": own or iso(doc.obtained_at)[:10], "date_is_ingest_date": not own,
                     "format": doc.format, "status": doc.status, "words": len((doc.text or "").split()),
                     "source": doc.source, "diffed_against": against, "change": change})
        if doc.status == "stored":
            previous = doc
    return rows


@click.command()
@click.argument("ref")
@click.option("--document", "as_document", is_flag=True,
              help="REF is a document id (else a number is a work id).")
@json_option()
@click.pass_obj
def history(obj: Context, ref: str, as_document: bool, as_json: bool) -> None:
    """The versions of a work with their dates and what changed.

    REF is a work id, or a document (``doc:ID``, a SHA-256 prefix, an
    identifier such as ``MDE 13/6418/2023``; a number with ``--document``):
    the history of its work. Each version is diffed against the version it
    relates to (a rendition against the version with its words, a revision
    against the version it most resembles). A date marked "(ingested)" is
    the day the archive obtained the document, which states no date itself.
    """
    work, focus = _work_of(obj, ref, as_document)
    rows = _history_rows(obj, work)
    if as_json:
        echo_json({"work_id": work.id, "title": work.title, "document_id": focus, "versions": rows})
        return
    click.echo(f"work {work.id}: {work.title or '(untitled)'}")
    for r in rows:
        when = r["shown_date"] + (" (ingested)" if r["date_is_ingest_date"] else "")
        relation = r["relation"] + (f" of doc {r['related_document_id']}" if r["related_document_id"] else "")
        reason = f" [{r['relation_reason']}]" if r["relation_reason"] else ""
        size = ""
        if r["change"] is not None:
            c = r["change"]
            size = (f"  vs doc {r['diffed_against']}: +{c['words_added']}/-{c['words_removed']} words; "
                    f"{c['changed']} changed, {c['added']} added, {c['removed']} removed paragraphs")
        mark = "*" if r["id"] == focus else " "
        click.echo(f" {mark}v{r['version']} doc {r['id']} {when} {relation}{reason} "
                   f"{r['format'] or '-'} {r['words']} words{size}")
        for line in (r["change"] or {}).get("summary", [])[:8]:
            click.echo(f"      {line}")


@click.command()
@json_option()
@click.pass_obj
def regroup(obj: Context, as_json: bool) -> None:
    """Rebuild every work from scratch (after a rule change) and report what moved."""
    from storage.works.regroup import regroup as run_regroup

    archive = obj.archive()
    with obj.progress("regroup", archive.counts()["documents"]) as progress:
        progress.start()
        report = run_regroup(archive, lambda done, total: progress.update(done, total))
    if as_json:
        echo_json(asdict(report))
        return
    click.echo(f"{report.documents} documents: {report.works_before} works before, {report.works_after} after; "
               f"{len(report.moved)} moved, {len(report.relabelled)} relabelled")
    for entry in report.moved:
        click.echo(f"  doc {entry['document_id']}: work {entry['from']['work_id']} → {entry['to']['work_id']} "
                   f"({entry['to']['relation']})")


COMMANDS = [diff, history, regroup]
