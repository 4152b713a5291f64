"""The ``archivist`` command: the one place that builds the click group and adds every command.

Each command group lives in its own module (:mod:`.documents`, :mod:`.ingest`,
:mod:`.integrity`, :mod:`.versions`, :mod:`.citations`, :mod:`.ops`) as plain
click commands sharing :mod:`.context`; none of them imports this module.
Query commands never import Prefect; only commands that run flows do.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import click
from sqlalchemy.exc import SQLAlchemyError

from storage import StorageError

from flows.cli import citations, documents, ingest, integrity, ops, versions, web
from flows.cli.context import Context, OperationalError
from flows.errors import FlowError
from flows.progress import MODES
from flows.settings import load_settings

log = logging.getLogger(__name__)


def describe(exc: BaseException) -> str:
    """One line for an operational error: the message, without the driver's multi-line detail."""
    if isinstance(exc, SQLAlchemyError):
        orig = getattr(exc, "orig", None)
        text = f"database error: {orig or exc}"
    elif isinstance(exc, OSError):
        text = f"{exc.filename + ': ' if exc.filename else ''}{exc.strerror or exc}"
    else:
        text = str(exc)
    return " ".join(text.split()) or type(exc).__name__


class ArchivistGroup(click.Group):
    """The command group: storage, database and file-system errors of any command end as one line, exit 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (StorageError, SQLAlchemyError, OSError) as exc:
            log.debug("operational error", exc_info=True)  # -vv shows where
            raise OperationalError(describe(exc)) from exc


@click.group(cls=ArchivistGroup)
@click.option("--home", default=None, metavar="DIR",
              help="Archive directory (SQLite file and blob store). Default ./archive, env ARCHIVIST_HOME.")
@click.option("--db", "db_url", default=None, metavar="URL",
              help="Database URL (e.g. postgresql://…). Default SQLite in the home, env ARCHIVIST_DB_URL.")
@click.option("-v", "--verbose", count=True, help="More log output.")
@click.option("--progress", "progress", type=click.Choice(MODES), default="auto", show_default=True,
              help="Progress on stderr of ingest, verify, regroup, export: a bar on a terminal, plain lines "
                   "elsewhere (auto), or always one of them, or none.")
@click.pass_context
def cli(ctx: click.Context, home: str | None, db_url: str | None, verbose: int, progress: str) -> None:
    """archivist: keep documents byte for byte, with their text, footnotes, works and history."""
    logging.basicConfig(level=logging.WARNING - 10 * min(verbose, 2), format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings()  # the environment, read once for this invocation
    except FlowError as exc:
        raise click.ClickException(str(exc)) from exc
    ctx.obj = Context(home, db_url, settings, progress)
    ctx.call_on_close(ctx.obj.close)


for _module in (ingest, documents, integrity, versions, citations, ops, web):
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main() -> None:
    """Entry point of the console script: files and folders it creates are private (umask 077 added)."""
    os.umask(os.umask(0o077) | 0o077)
    cli()
