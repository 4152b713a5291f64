"""What every ``archivist`` command shares: the :class:`Context` (settings, the archive), JSON output, options.

Command modules import this one, never the module that assembles the group
(:mod:`flows.cli.app`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from storage import Archive, DocumentNotFound, StorageError

from flows.settings import Settings

if TYPE_CHECKING:
    from storage.models import Document

F = TypeVar("F", bound=Callable[..., Any])


def echo_json(value: Any) -> None:
    """Print ``value`` as indented JSON (what every ``--json`` option prints)."""
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def json_option(help: str | None = None) -> Callable[[F], F]:  # noqa: A002 - click's own keyword
    """The ``--json`` flag (``as_json``) of a command."""
    return click.option("--json", "as_json", is_flag=True, help=help)


def short(text: str | None, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis."""
    text = (text or "").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


class Context:
    """One invocation: its settings, the archive it names (opened at first use)."""

    def __init__(self, home: str | None, db_url: str | None, settings: Settings | None = None):
        self.settings = settings or Settings()
        self.home = home or self.settings.home
        self.db_url = db_url or self.settings.db_url
        self._archive: Archive | None = None

    def archive(self) -> Archive:
        """The archive (created when missing); a storage error becomes a usage error."""
        if self._archive is None:
            try:
                self._archive = Archive.open(self.home, self.db_url)
            except StorageError as exc:
                raise click.ClickException(str(exc)) from exc
        return self._archive

    def document(self, ref: str) -> Document:
        """One document by id, SHA-256 prefix or identifier; not found is a usage error."""
        try:
            return self.archive().document(ref)
        except DocumentNotFound as exc:
            raise click.ClickException(str(exc)) from exc

    def close(self) -> None:
        """Close the archive if it was opened."""
        if self._archive is not None:
            self._archive.close()
