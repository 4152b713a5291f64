"""The ``archivist`` command line (assembled in :mod:`flows.cli.app`)."""

from flows.cli.app import cli, main

__all__ = ["cli", "main"]
