"""archivist verify, anchor, repair and export (integrity commands)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from flows.cli.context import Context, echo_json, json_option


@click.command()
@json_option()
@click.option("--record", is_flag=True, help="Also append the outcome to the event chain (a 'verified' event).")
@click.pass_obj
def verify(obj: Context, as_json: bool, record: bool) -> None:
    """Integrity check: exit 0 when clean, 1 on any problem."""
    from storage.integrity.fixity import record_verification
    from storage.integrity.fixity import verify as run_verify

    archive = obj.archive(write=record)  # read-only unless the outcome is to be recorded
    report = run_verify(archive)
    if record:
        record_verification(archive, report)
    if as_json:
        echo_json(report.to_dict())
    else:
        click.echo(f"checked {report.documents} documents, {report.blobs_hashed} files "
                   f"({report.bytes_hashed} bytes), {report.events} events")
        click.echo(f"chain head: event {report.head_id} {report.head_hash}")
        if report.in_flight:
            click.echo(f"{report.in_flight} file(s) in flight (a running ingest is writing them): not checked")
        for note in report.notes:
            click.echo(f"NOTE {note.kind}: {note.message}")
        for p in report.problems:
            click.echo(f"PROBLEM {p.kind}: {p.message}" + (f" (expected {p.expected}, found {p.found})"
                                                          if p.expected or p.found else ""))
        click.echo("OK" if report.ok else f"{len(report.problems)} problem(s)")
    sys.exit(0 if report.ok else 1)


@click.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Anchor file to write (default <home>/anchors/anchor-<event>-<time>.json).")
@click.option("--key", "key", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Ed25519 private key (created at first use, mode 0600; default <home>/anchor-ed25519.key). "
                   "With --check: the trusted public (or private) key.")
@click.option("--check", "check", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Verify an anchor file: its signature, and that the history up to its event is unchanged.")
@json_option()
@click.pass_obj
def anchor(obj: Context, out: Path | None, key: Path | None, check: Path | None, as_json: bool) -> None:
    """Sign the current chain head into a small file to keep elsewhere, or --check one (exit 0/1)."""
    from storage.integrity.anchor import AnchorError, check_anchor, create_anchor

    archive = obj.archive(write=check is None)  # --check only reads
    try:
        if check is not None:
            result = check_anchor(archive, check, key)
            if as_json:
                echo_json(result.to_dict())
            else:
                click.echo(f"anchor {check}: event {result.head_id} {result.head_hash} "
                           f"(signed {result.anchored_at}, key {result.key_id})")
                click.echo(f"signature: {'valid' if result.signature_ok else 'NOT VALID'}; history up to event "
                           f"{result.head_id}: {'unchanged' if result.chain_ok else 'CHANGED'}"
                           + (f"; {result.events_since} event(s) since" if result.events_since is not None else "")
                           + f"; records: {'all there' if result.records_ok else 'CHANGED'}")
                for problem in result.problems:
                    click.echo(f"PROBLEM: {problem}")
                click.echo("OK" if result.ok else "ANCHOR CHECK FAILED")
            sys.exit(0 if result.ok else 1)
        path, data = create_anchor(archive, out, key)
    except AnchorError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        echo_json({"file": str(path), **data})
        return
    payload = data["anchor"]
    click.echo(f"anchored event {payload['head_id']} {payload['head_hash']}")
    click.echo(f"  {payload['counts']['documents']} documents, {payload['counts']['works']} works, "
               f"signed with key {payload['key_id']} at {payload['created_at']}")
    click.echo(f"  written to {path}: keep a copy somewhere else")


@click.command()
@click.option("--dry-run", is_flag=True, help="Only say what would be done.")
@click.option("--grace", default="1h", show_default=True, metavar="DURATION",
              help="Orphan blobs and temp files younger than this are left alone (e.g. 0, 90s, 30m, 2h, 1d).")
@click.option("--from", "sources", multiple=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder (a backup, an exported bag) to search for missing originals; repeatable.")
@click.option("--max-removals", type=click.IntRange(min=0), default=None, metavar="N",
              help="Allow up to N orphans to be quarantined (default: at most 10, or 10% of the blobs).")
@json_option()
@click.pass_obj
def repair(obj: Context, dry_run: bool, grace: str, sources: tuple[Path, ...], max_removals: int | None,
           as_json: bool) -> None:
    """Adopt or quarantine orphan blobs, restore what can be restored; exit 1 if anything is still wrong.

    Nothing is ever deleted: orphans and temp files move to HOME/quarantine/. Repair refuses to move any
    orphan when the database knows none of the blobs, or when too many would go (see --max-removals).
    """
    from storage.integrity.repair import parse_duration
    from storage.integrity.repair import repair as run_repair

    try:
        grace_s = parse_duration(grace)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--grace") from exc
    result = run_repair(obj.archive(write=not dry_run), grace_seconds=grace_s, dry_run=dry_run,
                        sources=list(sources), max_removals=max_removals)
    if as_json:
        echo_json(result.to_dict())
    else:
        checked = result.checked
        click.echo(f"checked {checked['documents']} documents, {checked['events']} events: "
                   f"{checked['problems']} problem(s)")
        for action in result.actions:
            click.echo(f"{action.kind}: {action.message}")
        for item in result.unresolved:
            click.echo(f"UNRESOLVED {item['kind']}: {item['message']}\n    {item['advice']}")
        if dry_run:
            click.echo("dry run: nothing was changed")
        click.echo("OK" if result.ok else f"{len(result.unresolved)} problem(s) remain")
    sys.exit(0 if result.ok else 1)


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--work", type=int, default=None, help="Only the documents of this work.")
@click.option("--since", default=None, metavar="DATE", help="Only documents ingested since DATE (YYYY-MM-DD or ISO).")
@json_option()
@click.pass_obj
def export(obj: Context, directory: Path, work: int | None, since: str | None, as_json: bool) -> None:
    """Write a BagIt bag (originals, texts, records, events) to DIRECTORY, which must be new or empty."""
    from storage.integrity.export import ExportError, export_bag

    try:
        result = export_bag(obj.archive(), directory, work=work, since=since)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        echo_json(result.to_dict())
        return
    click.echo(f"exported {result.documents} documents ({result.originals} originals, {result.bytes} bytes; "
               f"{result.texts} texts; {result.events} events) to {result.directory}")
    click.echo(f"  chain head at export: event {result.head_id} {result.head_hash}; logged as event "
               f"{result.event_id}")
    click.echo(f"  check it with: bagit.py --validate {result.directory}")


COMMANDS = [verify, anchor, repair, export]
