"""archivist cites (the citation graph)."""

from __future__ import annotations

from .cli import cli  # noqa: F401 - commands register on this group
