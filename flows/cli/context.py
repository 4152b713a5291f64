"""What every ``archivist`` command shares: the :class:`Context` (settings, the archive), JSON output, options.

Command modules import this one, never the module that assembles the group
(:mod:`flows.cli.app`).
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from storage import Archive, DocumentNotFound, StorageError
from storage.errors import ArchiveMissing, ArchiveUnavailable

from flows.settings import Settings

if TYPE_CHECKING:
    from storage.models import Document

    from flows.progress import Progress

F = TypeVar("F", bound=Callable[..., Any])

# Commands that may create an archive where none is; all others refuse a home that holds none.
CREATING_COMMANDS = frozenset({"ingest", "init", "serve"})
# Commands that write; all others open the database read-only (a read-only copy can be queried).
WRITING_COMMANDS = CREATING_COMMANDS | {"regroup", "repair", "export"}


class OperationalError(click.ClickException):
    """An operational error (no archive, unusable database, unreadable home): one line on stderr, exit 2."""

    exit_code = 2

    def __init__(self, message: str):
        super().__init__(" ".join(message.split()))  # one line, whatever the driver's message looks like

    def show(self, file: Any = None) -> None:
        click.echo(f"archivist: error: {self.format_message()}", err=True, file=file)


def _command_name() -> str | None:
    ctx = click.get_current_context(silent=True)
    while ctx is not None and ctx.parent is not None and ctx.parent.parent is not None:
        ctx = ctx.parent  # the name of the top-level sub-command (``db upgrade`` -> ``db``)
    return ctx.info_name if ctx is not None else None


SCHEMA_VERSION = 1  # of every ``--json`` object (flows/cli/schemas/); the web API's payloads share it


def versioned(value: dict[str, Any]) -> dict[str, Any]:
    """``value`` with ``schema_version`` first (the documented shape of its schema in flows/cli/schemas/)."""
    return {"schema_version": SCHEMA_VERSION, **{k: v for k, v in value.items() if k != "schema_version"}}


def echo_json(value: Any) -> None:
    """Print ``value`` as indented JSON (what every ``--json`` option prints).

    An object gets ``schema_version`` (:data:`SCHEMA_VERSION`) as its first
    key; a list (CSL-JSON, a format of its own) is printed as it is.
    """
    if isinstance(value, dict):
        value = versioned(value)
    click.echo(_dumps(value))


def echo_json_listing(head: dict[str, Any], key: str, items: Iterable[Any]) -> None:
    """Print ``{**head, key: [*items]}`` exactly as :func:`echo_json` would, an item at a time as ``items``
    yields them: a listing of the whole archive is never held in memory, and its first lines come at once."""
    opening, closing = _dumps(versioned({**head, key: []})).rsplit("[]", 1)  # ``key`` is the last one
    click.echo(opening + "[", nl=False)
    separator = "\n"
    for item in items:
        click.echo(separator + textwrap.indent(_dumps(item), "    "), nl=False)
        separator = ",\n"
    click.echo(("]" if separator == "\n" else "\n  ]") + closing)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def json_option(help: str | None = None) -> Callable[[F], F]:  # noqa: A002 - click's own keyword
    """The ``--json`` flag (``as_json``) of a command."""
    return click.option("--json", "as_json", is_flag=True, help=help)


def short(text: str | None, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis."""
    text = (text or "").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


class Context:
    """One invocation: its settings, the archive it names (opened at first use)."""

    def __init__(self, home: str | None, db_url: str | None, settings: Settings | None = None,
                 progress: str = "auto"):
        self.settings = settings or Settings()
        self.home = home or self.settings.home
        self.db_url = db_url or self.settings.db_url
        self.progress_mode = progress  # flows.progress.MODES: auto, bar, lines, none
        self._archive: Archive | None = None
        self._readonly = False

    def archive(self, *, create: bool | None = None, write: bool | None = None) -> Archive:
        """The archive, opened at first use; a storage error becomes an :class:`OperationalError` (exit 2).

        By default only :data:`CREATING_COMMANDS` create a missing archive and only
        :data:`WRITING_COMMANDS` open it for writing; others open it read-only.
        """
        name = _command_name()
        create = name in CREATING_COMMANDS if create is None else create
        write = (create or name in WRITING_COMMANDS) if write is None else (write or create)
        if self._archive is not None and write and self._readonly:
            self._archive.close()
            self._archive = None
        if self._archive is None:
            try:
                self._archive = Archive.open(self.home, self.db_url, create=create, readonly=not write)
            except (ArchiveMissing, ArchiveUnavailable) as exc:
                raise OperationalError(str(exc)) from exc
            except StorageError as exc:  # a schema behind or ahead: the usage error `db upgrade` answers
                raise click.ClickException(str(exc)) from exc
            self._readonly = not write
        return self._archive

    def matches(self, ref: str) -> list[int]:
        """Ids of every document ``ref`` names (id, SHA-256 prefix of 6+ digits, identifier, URL), first first;
        none is a usage error."""
        from storage.browse import matching_ids

        ids = matching_ids(self.archive(), ref)
        if not ids:
            raise click.ClickException(f"no document with id, hash or identifier {ref.strip()!r}")
        return ids

    def document(self, ref: str) -> Document:
        """One document by id, SHA-256 prefix (6+ digits) or identifier (the first it names); not found is a
        usage error."""
        try:
            return self.archive().document(str(self.matches(ref)[0]))
        except DocumentNotFound as exc:
            raise click.ClickException(str(exc)) from exc

    def progress(self, label: str, total: int | None = None, unit: str = "documents") -> Progress:
        """A :class:`flows.progress.Progress` on standard error in this invocation's mode (``--progress``)."""
        from flows.progress import Progress

        return Progress(label, total, unit=unit, mode=self.progress_mode)

    def close(self) -> None:
        """Close the archive if it was opened."""
        if self._archive is not None:
            self._archive.close()
