"""archivist cites (the citation graph)."""

from __future__ import annotations

import click

from storage import DocumentNotFound

from flows.cli.context import Context, echo_json, json_option, short


@click.command()
@click.argument("ref")
@json_option(help="Print {query, target, citing: [...]} as JSON.")
@click.pass_obj
def cites(obj: Context, ref: str, as_json: bool) -> None:
    """Which archived documents cite REF (a document id, SHA-256 prefix, identifier or URL).

    Lists each citing note with its label, text, the sentence that cites it and
    the citation itself. Works for sources we do not hold too: "archivist cites
    E/CN.4/1989/26" finds every note carrying that UN symbol.
    """
    archive = obj.archive()
    try:
        result = archive.find_citing(ref)
    except DocumentNotFound as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        echo_json(result)
        return
    target = result["target"]
    if target is not None:
        click.echo(f"target: doc {target['id']} {short(target['title'] or target['source'], 90)}")
        for ident in target["identifiers"]:
            click.echo(f"        {ident['scheme']} {ident['value']}")
        for other in result["also_archived"]:
            click.echo(f"  also: doc {other['id']} {short(other['title'] or other['source'], 90)}")
    else:
        named = ", ".join(i["value"] for i in result["identifiers"]) or ", ".join(result["urls"]) or ref
        click.echo(f"target: {named} (not archived)")
    citing = result["citing"]
    if not citing:
        click.echo("no citing notes found")
        return
    docs = {c["document_id"] for c in citing}
    click.echo(f"cited in {len(citing)} note(s) of {len(docs)} document(s)")
    for entry in citing:
        click.echo(f"\n  doc {entry['document_id']} note [{entry['label']}] ({entry['via']}): "
                   f"{short(entry['title'] or entry['source'], 80)}")
        if entry["context"]:
            click.echo(f"    sentence: {short(entry['context'], 160)}")
        click.echo(f"    note:     {short(entry['note_text'], 160)}")
        if entry["citation_text"] and entry["citation_text"] != entry["note_text"]:
            click.echo(f"    citation: {short(entry['citation_text'], 160)}")


COMMANDS = [cites]
