"""Content-addressed blob store on the file system.

Originals and canonical texts are kept byte for byte under
``<root>/<aa>/<bb>/<sha256>``. Writes are atomic: a temp file in the same
directory, fsynced, then renamed into place, then the directory fsynced. A
blob is never overwritten once present: same hash, same bytes.

Group commit: ``put(..., sync=False)`` renames the blob into place without
its fsyncs and remembers it; :meth:`BlobStore.sync` then makes every such
blob durable at once (one ``syncfs`` of the file system on Linux, else an
fsync of each file and folder). The archive calls it before the database
transaction that records those blobs commits, so a record never outlives
its blob in a crash.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from storage.errors import BlobMissing, ChecksumMismatch

CHUNK = 1 << 20
PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
TEMP_PREFIX = ".tmp-"
_HEX64 = re.compile(r"[0-9a-f]{64}")


@contextmanager
def private_umask() -> Iterator[None]:
    """Files and folders created inside are private to their owner (umask 077), whatever the process umask.

    For code that lets a library create files (SQLite, bagit, warcio): the
    umask is per process, so keep the block short.
    """
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def make_private_dir(path: Path) -> Path:
    """``mkdir -p`` with every folder it creates 0700 (existing folders keep their mode)."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            continue
        os.chmod(folder, PRIVATE_DIR)  # mkdir's mode is filtered by the umask
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, mode 0600, its missing folders 0700."""
    atomic_write(Path(path), [data])


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
        self._unsynced: list[Path] = []  # blobs renamed into place whose fsyncs are still owed (group commit)

    def relpath(self, sha256: str) -> str:
        """The path of a blob relative to the root (what records store)."""
        return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def path(self, sha256: str) -> Path:
        """The absolute path of a blob."""
        return self.root / self.relpath(sha256)

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put(self, data: bytes, sha256: str | None = None, sync: bool = True) -> str:
        """Store ``data`` atomically; return its SHA-256. Idempotent.

        With ``sync=False`` the fsyncs are owed until :meth:`sync` (group commit):
        call it before recording the blob anywhere durable. A blob already in
        place is not written again, but is synced (or owed) all the same: another
        process (an extraction worker) may have put it without fsync.
        """
        digest = sha256 or sha256_bytes(data)
        target = self.path(digest)
        if self.adopt(digest, sync=sync):
            return digest
        if not atomic_write(target, [data], sync=sync, keep_existing=True) and sync:
            fsync_path(target)  # another writer placed it meanwhile (kept, not replaced): maybe without fsync
            fsync_dir(target.parent)
        if not sync:
            self._unsynced.append(target)
        return digest

    @property
    def owed(self) -> tuple[Path, ...]:
        """The blobs whose fsyncs are still owed (put with ``sync=False`` or adopted, not synced yet)."""
        return tuple(self._unsynced)

    def adopt(self, sha256: str, sync: bool = False) -> bool:
        """Owe the fsyncs of a blob in place that another process may have put with ``sync=False`` (an
        extraction worker), as if it were put here (``sync=True``: make it durable now); ``False`` when it
        is not in place (the caller puts it then)."""
        target = self.path(sha256)
        try:
            # Touch it: `repair` removes only orphans older than its grace period,
            # so a blob an ingest is about to record is never removed under it.
            os.utime(target)
        except (FileNotFoundError, NotADirectoryError):
            return False
        if not target.is_file():
            return False
        if sync:
            fsync_path(target)
            fsync_dir(target.parent)
        else:
            self._unsynced.append(target)
        return True

    def sync(self) -> None:
        """Make every blob put with ``sync=False`` durable (data and name): one file-system sync."""
        if not self._unsynced:
            return
        pending, self._unsynced = self._unsynced, []
        if sync_filesystem(self.root):
            return
        for path in pending:
            fsync_path(path)
        for folder in dict.fromkeys(p.parent for p in pending):
            fsync_dir(folder)

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
            if path.is_file() and not path.name.startswith(TEMP_PREFIX):
                yield path.name, path

    def strays(self) -> Iterator[Path]:
        """Every file in the store that is not a blob at its place: temp files, misnamed or misplaced files."""
        yield from self.survey()[1]

    def survey(self) -> tuple[list[str], list[Path]]:
        """One pass over the store: the names of the blobs at their place, and every other file (sorted).

        A blob at its place is a file (or a link to one) named by 64 hex digits two folders down, in
        the folders its first four digits name. The walk reads each folder with ``os.scandir``, whose
        entries know their type: no ``stat`` for a plain file, no path object for a blob at its place
        (a store holds a file per record). Links to folders are not followed, as with ``os.walk``.
        """
        placed: list[str] = []
        strays: list[Path] = []
        if not self.root.is_dir():
            return placed, strays

        def visit(folder: str, rel: tuple[str, ...]) -> None:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_dir():
                        if not entry.is_symlink():
                            visit(entry.path, rel + (entry.name,))
                        continue
                    name = entry.name
                    if len(rel) == 2 and rel[0] == name[:2] and rel[1] == name[2:4] and _HEX64.fullmatch(name) \
                            and entry.is_file():
                        placed.append(name)
                    else:
                        strays.append(Path(entry.path))

        visit(str(self.root), ())
        strays.sort()
        return placed, strays


def atomic_write(target: Path, chunks: Iterable[bytes], sync: bool = True, keep_existing: bool = False) -> bool:
    """Write ``chunks`` to ``target`` atomically (mode 0600): temp file beside it, fsync, rename, fsync the folder.

    ``sync=False`` leaves out both fsyncs: the caller owes them (see :meth:`BlobStore.sync`).
    ``keep_existing`` (a file named by its content): a ``target`` another writer placed meanwhile is kept,
    not replaced, so a file made durable is never swapped for one that is not; returns ``False`` then.
    """
    if not target.parent.is_dir():
        make_private_dir(target.parent)
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=target.parent)  # mode 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            if sync:
                os.fsync(fh.fileno())
        if not keep_existing:
            os.replace(tmp, target)
        elif not _link_or_replace(tmp, target):
            return False
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if sync:
        fsync_dir(target.parent)
    return True


def _link_or_replace(tmp: str, target: Path) -> bool:
    """Put ``tmp`` at ``target`` unless a file is there already (then ``tmp`` goes; returns ``False``).
    A hard link refuses an existing name; where the file system has none, a rename replaces it."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        os.unlink(tmp)
        return False
    except OSError:  # no hard links here (EPERM, ENOTSUP, ...): the rename is atomic, only not exclusive
        os.replace(tmp, target)
        return True
    os.unlink(tmp)
    return True


_LIBC: ctypes.CDLL | None | bool = None


def sync_filesystem(path: Path) -> bool:
    """``syncfs(2)`` the file system holding ``path`` (Linux): every write on it made durable at once.

    Returns False where that call is not available or fails (the caller then fsyncs file by file).
    """
    global _LIBC
    if _LIBC is None:
        try:
            _LIBC = ctypes.CDLL(None, use_errno=True) if hasattr(ctypes.CDLL(None), "syncfs") else False
        except (OSError, AttributeError):
            _LIBC = False
    if not _LIBC:
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        return _LIBC.syncfs(fd) == 0  # type: ignore[union-attr]
    finally:
        os.close(fd)


def fsync_path(path: Path) -> None:
    """fsync one file's data (a blob written without it)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
