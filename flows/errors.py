"""Errors raised by the flows package (fetching, sources, runs)."""

from __future__ import annotations


class FlowError(Exception):
    """Base class of every error raised by the flows package."""


class SourceError(FlowError):
    """A source (path, URL, sources file) is unusable as given."""


class FetchError(FlowError):
    """Bytes could not be obtained from a source.

    ``retryable`` is true for failures worth another try (timeouts,
    connection errors, 5xx); 4xx and policy refusals are final. ``data``
    holds whatever body arrived (an error page is kept as evidence too).
    ``retry_after`` is the wait in seconds a 429/503 ``Retry-After`` asked for.
    """

    def __init__(self, message: str, *, source: str, retryable: bool = False, status_code: int | None = None,
                 data: bytes | None = None, provenance: object | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.source = source
        self.retryable = retryable
        self.status_code = status_code
        self.data = data
        self.provenance = provenance
        self.retry_after = retry_after
        self.warc_path: str | None = None
