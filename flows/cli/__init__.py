"""The ``archivist`` command line."""

from flows.cli.app import cli, main

__all__ = ["cli", "main"]
