"""Errors raised by the storage package."""

from __future__ import annotations


class StorageError(Exception):
    """Base class of every error raised by the storage package."""


class SchemaOutOfDate(StorageError):
    """The database schema is older than this version of archivist."""


class SchemaTooNew(StorageError):
    """The database was written by a newer archivist than this one."""


class DocumentNotFound(StorageError):
    """No document matches the given id, hash or identifier."""


class BlobMissing(StorageError):
    """A record points at a blob that is not in the blob store."""

    def __init__(self, path: str, sha256: str):
        super().__init__(f"blob {sha256} missing at {path}")
        self.path = path
        self.sha256 = sha256


class ChecksumMismatch(StorageError):
    """Stored bytes no longer hash to the digest they were stored under."""

    def __init__(self, path: str, expected: str, found: str):
        super().__init__(f"{path}: expected sha256 {expected}, found {found}")
        self.path = path
        self.expected = expected
        self.found = found


class ArchiveMissing(StorageError):
    """The home or database holds no archive (only ``ingest`` and ``init`` create one)."""


class ArchiveUnavailable(StorageError):
    """The archive cannot be opened: a bad database URL, a corrupt database file, a home that is a file."""


class UnknownEventKind(StorageError):
    """An event kind that archivist does not write (``storage.events.KINDS``)."""
