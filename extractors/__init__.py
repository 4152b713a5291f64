"""archivist extractors: bytes and hints in, one typed record out.

Pure functions only: no database, no Prefect, no network.
"""

from .errors import (
    CorruptDocument,
    DecodingError,
    EncryptedDocument,
    ExtractionError,
    ResourceLimitExceeded,
    UnsupportedFormat,
)
from .record import Citation, ExtractedDocument, Footnote, Hints, Identifier, Marker, Metadata
from .registry import choose, extract

__all__ = [
    "Citation", "CorruptDocument", "DecodingError", "EncryptedDocument", "ExtractedDocument",
    "ExtractionError", "Footnote", "Hints", "Identifier", "Marker", "Metadata",
    "ResourceLimitExceeded", "UnsupportedFormat", "choose", "extract",
]
