"""archivist diff, history and regroup (versions commands)."""

from __future__ import annotations

from .cli import cli  # noqa: F401 - commands register on this group
