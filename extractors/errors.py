"""Errors raised by extractors.

Policy (after pypdf's raise / warn / log split):

* raise a subclass of :class:`ExtractionError` when no usable record can be made;
  the caller records the document as ``failed`` with the message;
* append a warning to ``ExtractedDocument.warnings`` when we repaired something
  (mojibake fixed, a broken xref rebuilt, a note we could not link);
* log (``logging.getLogger(__name__)``) for diagnostics nobody has to act on.

Errors from third-party libraries never leave an extractor unwrapped: they are
re-raised as one of these with ``raise ... from exc``.
"""


class ExtractionError(Exception):
    """Base class of every error raised by the extractors package."""


class UnsupportedFormat(ExtractionError):
    """No extractor recognises the bytes (nothing matched in the registry)."""


class CorruptDocument(ExtractionError):
    """The bytes claim a format but cannot be parsed as it (truncated, broken)."""


class EncryptedDocument(ExtractionError):
    """The document is encrypted and cannot be opened without a password."""


class ResourceLimitExceeded(ExtractionError):
    """Extraction would exceed a time or memory bound (bombs, hanging pages)."""


class DecodingError(ExtractionError):
    """Bytes that should be text could not be decoded to text."""
