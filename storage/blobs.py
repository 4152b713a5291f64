"""Content-addressed blob store on the file system.

Originals and canonical texts are kept byte for byte under
``<root>/<aa>/<bb>/<sha256>``. Writes are atomic: a temp file in the same
directory, fsynced, then renamed into place, then the directory fsynced. A
blob is never overwritten once present: same hash, same bytes.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from storage.errors import BlobMissing, ChecksumMismatch

CHUNK = 1 << 20


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, streamed in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class BlobStore:
    """Files named by their SHA-256 under one root directory."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def relpath(self, sha256: str) -> str:
        """The path of a blob relative to the root (what records store)."""
        return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def path(self, sha256: str) -> Path:
        """The absolute path of a blob."""
        return self.root / self.relpath(sha256)

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put(self, data: bytes, sha256: str | None = None) -> str:
        """Store ``data`` atomically; return its SHA-256. Idempotent."""
        digest = sha256 or sha256_bytes(data)
        target = self.path(digest)
        if target.is_file():
            # Touch it: `repair` removes only orphans older than its grace period,
            # so a blob an ingest is about to record is never removed under it.
            os.utime(target)
            return digest
        atomic_write(target, [data])
        return digest

    def get(self, sha256: str, verify: bool = True) -> bytes:
        """The bytes of a blob; with ``verify`` they are re-hashed first."""
        path = self.path(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise BlobMissing(str(path), sha256) from exc
        if verify:
            found = sha256_bytes(data)
            if found != sha256:
                raise ChecksumMismatch(str(path), sha256, found)
        return data

    def walk(self) -> Iterator[tuple[str, Path]]:
        """Every ``(sha256, path)`` in the store (temp files skipped)."""
        if not self.root.is_dir():
            return
        for path in self.root.glob("??/??/*"):
            if path.is_file() and not path.name.startswith(".tmp-"):
                yield path.name, path


def atomic_write(target: Path, chunks: Iterable[bytes]) -> None:
    """Write ``chunks`` to ``target`` atomically: temp file beside it, fsync, rename, fsync the folder."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)


def read_chunks(path: Path, size: int = CHUNK) -> Iterator[bytes]:
    """A file's bytes in chunks (for streaming copies)."""
    with open(path, "rb") as fh:
        while chunk := fh.read(size):
            yield chunk


def fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable (best effort where unsupported)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
