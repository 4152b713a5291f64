"""archivist storage: SQL records, the blob store, the event chain, works, search, fixity."""

from storage.archive import Archive, StoreOutcome
from storage.errors import (
    BlobMissing,
    ChecksumMismatch,
    DocumentNotFound,
    SchemaOutOfDate,
    SchemaTooNew,
    StorageError,
)
from storage.provenance import Provenance

__all__ = [
    "Archive", "BlobMissing", "ChecksumMismatch", "DocumentNotFound", "Provenance", "SchemaOutOfDate",
    "SchemaTooNew", "StorageError", "StoreOutcome",
]
