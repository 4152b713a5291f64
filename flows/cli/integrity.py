"""archivist verify, anchor, repair and export (integrity commands)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from flows.cli.context import Context, OperationalError, echo_json, json_option


@click.command()
@json_option()
@click.option("--record", is_flag=True, help="Also append the outcome to the event chain (a 'verified' event).")
@click.option("--tsa-ca", "tsa_ca", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="PEM file of time-stamp authority CA certificates to check the tokens against (repeatable; "
                   "default $ARCHIVIST_TSA_CA).")
@click.pass_obj
def verify(obj: Context, as_json: bool, record: bool, tsa_ca: tuple[Path, ...]) -> None:
    """Integrity check: exit 0 when clean, 1 on any problem."""
    from storage.integrity.fixity import record_verification
    from storage.integrity.fixity import verify as run_verify
    from storage.integrity.timestamps import TimestampError

    archive = obj.archive(write=record)  # read-only unless the outcome is to be recorded
    try:
        with obj.progress("verify", unit="records") as progress:
            progress.start()
            report = run_verify(archive, tsa_ca=tuple(str(p) for p in tsa_ca) or obj.settings.tsa_ca,
                                progress=lambda done, total: progress.update(done, total))
    except TimestampError as exc:
        raise OperationalError(str(exc)) from exc
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
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), required=False)
@click.option("--work", type=int, default=None, help="Only the documents of this work.")
@click.option("--since", default=None, metavar="DATE", help="Only documents ingested since DATE (YYYY-MM-DD or ISO).")
@click.option("--wacz", "wacz_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Instead of a bag: write the web captures (WARC) as one WACZ file for replay tools.")
@json_option()
@click.pass_obj
def export(obj: Context, directory: Path | None, work: int | None, since: str | None, wacz_file: Path | None,
           as_json: bool) -> None:
    """Write a BagIt bag (originals, texts, records, events, custody, anchors, time-stamp tokens and a
    stand-alone verify_bag.py) to DIRECTORY, which must be new or empty."""
    from flows.custody import agent
    from storage.integrity.export import ExportError, export_bag

    if (directory is None) == (wacz_file is None):
        raise click.UsageError("give either DIRECTORY (a bag) or --wacz FILE")
    if wacz_file is not None:
        _export_wacz(obj, wacz_file, work, since, as_json)
        return
    try:
        archive = obj.archive()  # an archive that is not there: one line, before any progress
        with obj.progress("export", unit="steps") as progress:
            progress.start()
            result = export_bag(archive, directory, work=work, since=since, agent=agent(obj.settings),
                                progress=lambda done, total: progress.update(done, total))
    except ExportError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        echo_json(result.to_dict())
        return
    click.echo(f"exported {result.documents} documents ({result.originals} originals, {result.bytes} bytes; "
               f"{result.texts} texts; {result.events} events) to {result.directory}")
    click.echo(f"  chain head at export: event {result.head_id} {result.head_hash}; logged as event "
               f"{result.event_id}")
    click.echo(f"  check it with: python {result.directory}/verify_bag.py {result.directory} [--tsa-ca CA.pem] "
               "(needs only Python and cryptography), or bagit.py --validate")


def _export_wacz(obj: Context, out: Path, work: int | None, since: str | None, as_json: bool) -> None:
    from storage.integrity.export import ExportError, parse_since
    from storage.integrity.wacz import WaczError, export_wacz

    try:
        result = export_wacz(obj.archive(), out, work=work, since=parse_since(since) if since else None)
    except (WaczError, ExportError) as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        echo_json(result.to_dict())
        return
    click.echo(f"exported {result.captures} web capture(s) of {result.fetches} fetch(es) to {result.file} "
               f"({result.bytes} bytes, sha256 {result.sha256}); logged as event {result.event_id}")
    for rel in result.missing:
        click.echo(f"MISSING capture {rel}: named by a fetch but not in the archive (run `archivist verify`)")
    click.echo("  open it in ReplayWeb.page (https://replayweb.page); check it with: wacz validate -f FILE")


@click.command()
@click.option("--tsa", "tsa_urls", multiple=True, metavar="URL",
              help="RFC 3161 time-stamp authority to ask (repeatable; default $ARCHIVIST_TSA_URLS).")
@json_option()
@click.pass_obj
def timestamp(obj: Context, tsa_urls: tuple[str, ...], as_json: bool) -> None:
    """Get RFC 3161 time-stamp tokens over the chain head and the original hashes from every authority.

    Each token is kept (with the certificates the authority sent) and logged as a 'timestamped' event; an
    authority that fails is logged as a failed 'timestamped' event and the others' tokens are kept.
    Exit 0 when every authority answered, 1 when one or more failed, 2 when none is configured.
    """
    from storage.integrity.timestamps import TimestampError
    from storage.integrity.timestamps import timestamp as run_timestamp

    urls = tsa_urls or obj.settings.tsa_urls
    try:
        result = run_timestamp(obj.archive(write=True), urls, timeout_s=obj.settings.tsa_timeout_s)
    except TimestampError as exc:
        raise OperationalError(str(exc)) from exc
    if as_json:
        echo_json(result.to_dict())
    else:
        click.echo(f"chain head: event {result.head_id} {result.head_hash}")
        for token in result.tokens:
            click.echo(f"token from {token['tsa_url']}: time {token['gen_time']}, serial {token['serial_number']} "
                       f"(event {token['event_id']})")
        for failure in result.failures:
            click.echo(f"FAILED {failure['error']} (event {failure['event_id']})")  # the error names the URL
        click.echo("OK" if result.ok else f"{len(result.failures)} of {len(urls)} authorities failed")
    sys.exit(0 if result.ok else 1)


COMMANDS = [verify, anchor, repair, export, timestamp]
