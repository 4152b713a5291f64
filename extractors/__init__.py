"""archivist extractors: bytes and hints in, one typed record out.

Pure functions only: no database, no Prefect, no network.
"""

from extractors.errors import (
    CorruptDocument,
    DecodingError,
    EncryptedDocument,
    ExtractionError,
    ResourceLimitExceeded,
    UnsupportedFormat,
)
from extractors.record import Citation, ExtractedDocument, Footnote, Hints, Identifier, Marker, Metadata
from extractors.registry import choose, extract

__all__ = [
    "Citation", "CorruptDocument", "DecodingError", "EncryptedDocument", "ExtractedDocument",
    "ExtractionError", "Footnote", "Hints", "Identifier", "Marker", "Metadata",
    "ResourceLimitExceeded", "UnsupportedFormat", "choose", "extract",
]
