"""archivist storage: SQL records, the blob store, the event chain, works, search, fixity."""

from .archive import Archive, StoreOutcome
from .errors import (
    BlobMissing,
    ChecksumMismatch,
    DocumentNotFound,
    SchemaOutOfDate,
    SchemaTooNew,
    StorageError,
)
from .provenance import Provenance

__all__ = [
    "Archive", "BlobMissing", "ChecksumMismatch", "DocumentNotFound", "Provenance", "SchemaOutOfDate",
    "SchemaTooNew", "StorageError", "StoreOutcome",
]
