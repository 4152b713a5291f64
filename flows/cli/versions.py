"""archivist diff, history and regroup (versions commands)."""

from __future__ import annotations

from dataclasses import asdict

import click

from storage.events import iso
from storage.works.diffing import diff_texts, render

from flows.cli.context import Context, echo_json, json_option


@click.command()
@click.argument("a")
@click.argument("b")
@json_option()
@click.pass_obj
def diff(obj: Context, a: str, b: str, as_json: bool) -> None:
    """Paragraphs added, removed and changed from document A to B (canonical text)."""
    doc_a, doc_b = obj.document(a), obj.document(b)
    result = diff_texts(doc_a.text or "", doc_b.text or "", doc_a.id, doc_b.id)
    if as_json:
        echo_json(result.to_dict())
    else:
        click.echo(render(result))


@click.command()
@click.argument("work_id", type=int)
@json_option()
@click.pass_obj
def history(obj: Context, work_id: int, as_json: bool) -> None:
    """The versions of a work with their dates and the size of each change."""
    archive = obj.archive()
    work = archive.work(work_id)
    if work is None:
        raise click.ClickException(f"no work {work_id}")
    rows = []
    previous = None
    for doc in work.documents:
        change = None
        if previous is not None and doc.status == "stored" and previous.status == "stored":
            change = diff_texts(previous.text or "", doc.text or "").stats
        rows.append({"version": doc.version, "document_id": doc.id, "relation": doc.relation, "date": doc.date,
                     "obtained_at": iso(doc.obtained_at), "format": doc.format, "status": doc.status,
                     "words": len((doc.text or "").split()), "source": doc.source, "change": change})
        if doc.status == "stored":
            previous = doc
    if as_json:
        echo_json({"work_id": work.id, "title": work.title, "versions": rows})
        return
    click.echo(f"work {work.id}: {work.title or '(untitled)'}")
    for r in rows:
        when = r["date"] or r["obtained_at"][:10]
        size = ""
        if r["change"] is not None:
            c = r["change"]
            size = (f"  +{c['words_added']}/-{c['words_removed']} words; {c['changed']} changed, "
                    f"{c['added']} added, {c['removed']} removed paragraphs")
        click.echo(f"  v{r['version']} doc {r['document_id']} {when} {r['relation']:<9} {r['format'] or '-':<8} "
                   f"{r['words']} words{size}")


@click.command()
@json_option()
@click.pass_obj
def regroup(obj: Context, as_json: bool) -> None:
    """Rebuild every work from scratch (after a rule change) and report what moved."""
    from storage.works.regroup import regroup as run_regroup

    report = run_regroup(obj.archive())
    if as_json:
        echo_json(asdict(report))
        return
    click.echo(f"{report.documents} documents: {report.works_before} works before, {report.works_after} after; "
               f"{len(report.moved)} moved, {len(report.relabelled)} relabelled")
    for entry in report.moved:
        click.echo(f"  doc {entry['document_id']}: work {entry['from']['work_id']} → {entry['to']['work_id']} "
                   f"({entry['to']['relation']})")


COMMANDS = [diff, history, regroup]
