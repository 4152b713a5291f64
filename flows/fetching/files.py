"""Reading local files as they are.

A file of :data:`ASK_MIN_BYTES` or more whose status (device, inode, size,
modification and change times to the nanosecond) is the one recorded when
its bytes were archived is not read again (a smaller file costs less to
read and hash than to look up). A write moves a file's change time, and
ordinary tools cannot set it back (a copy that keeps the modification time,
``touch -d``, a restore from a backup: each sets it to now); only the
clock or the file system's own tools can. So statuses are kept only where
the kernel keeps the change time itself, on the local file systems of
:data:`LOCAL_FILE_SYSTEMS`: files on network, FUSE, FAT or NTFS mounts (whose
change time may be the modification time, or the server's) are always read.
The status is taken from the open file, before and after reading it, so it
is the status of the bytes read (not of what the path led to a moment
before), and a write during the read drops it. As git does with its index,
a file changed within :data:`RACY_WINDOW_S` of being read gets no status (it
may change again within the resolution of its timestamps), so the next run
reads it. Writes through a shared memory map that do not update the change
time are not seen (git has the same gap); ``ARCHIVIST_REREAD_FILES=1``
reads every file.

A file name that is not valid UTF-8 keeps its exact bytes: the provenance
shows it with each undecodable byte as ``\\xNN`` and carries the bytes in hex
(see :func:`storage.provenance.path_text`).
"""

from __future__ import annotations

import logging
import mimetypes
import os
import stat
import time
from collections.abc import Callable
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from storage.provenance import FILE_STATUS_PREFIX, Provenance, path_bytes_hex, path_text

from flows import custody
from flows.errors import FetchError
from flows.fetching.fetched import Fetched
from flows.settings import DEFAULT_FETCH_MAX_BYTES
from flows.sources.model import SourceItem


log = logging.getLogger(__name__)

RACY_WINDOW_S = 2.0  # seconds: coarser than the timestamps of any file system in use (FAT: 2 s)
ASK_MIN_BYTES = 256 * 1024  # a smaller file is read: one lookup of a status costs what reading and hashing ~100 KB does
# file systems whose change times the kernel keeps itself (a write always moves them, nothing else sets them)
LOCAL_FILE_SYSTEMS = frozenset({"ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "f2fs", "bcachefs", "jfs", "nilfs2",
                                "reiserfs", "tmpfs", "overlay"})
_MOUNTS = Path("/proc/self/mountinfo")


def keeps_change_times(device: int) -> bool:
    """Whether ``device`` holds one of :data:`LOCAL_FILE_SYSTEMS`, by Linux's mount table (read each time:
    mounts come and go under a long-running service); ``False`` where there is no such table."""
    wanted = f"{os.major(device)}:{os.minor(device)}"
    try:
        table = _MOUNTS.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    for line in table.splitlines():
        fields, _, rest = line.partition(" - ")
        parts = fields.split()
        if len(parts) > 2 and parts[2] == wanted:
            return rest.split(" ", 1)[0] in LOCAL_FILE_SYSTEMS
    return False


def file_status(st: os.stat_result, now: float) -> str | None:
    """The validator of a file in the state ``st``, or ``None`` when its status cannot stand for its bytes:
    changed less than :data:`RACY_WINDOW_S` before ``now`` (or after it), no inode number, or not on a
    file system of :data:`LOCAL_FILE_SYSTEMS`."""
    if not st.st_ino or now - max(st.st_mtime, st.st_ctime) < RACY_WINDOW_S or not keeps_change_times(st.st_dev):
        return None
    return FILE_STATUS_PREFIX + ":".join(map(str, _state(st)))


def _state(st: os.stat_result) -> tuple[int, int, int, int, int]:
    """What a file status is made of: device, inode, size, modification and change times (ns)."""
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def _archived_as(archived: Callable[[str, str], str | None] | None, source: str, status: str | None) -> str | None:
    if archived is None or status is None:
        return None
    try:
        return archived(source, status)
    except Exception:  # noqa: BLE001 - an optimisation only: the file is read instead
        log.debug("%s: its status could not be looked up; reading it", source, exc_info=True)
        return None


def _modified(mtime: float) -> str:
    """A modification time (UTC, ISO 8601) as the file system reports it."""
    return datetime.fromtimestamp(mtime, timezone.utc).isoformat()


@lru_cache(maxsize=1024)
def _resolved_folder(folder: str, _device: int, _inode: int) -> str:
    # keyed by the folder's identity too: a name that now leads to another folder is resolved again
    return os.path.realpath(folder)


def _absolute(path: Path, is_link: bool) -> str:
    """``path.resolve()``: its folder's resolution is cached (one ``stat`` a file, not one per component)."""
    if is_link:
        return str(path.resolve())
    try:
        folder = os.stat(path.parent)
    except OSError:
        return str(path.resolve())
    return os.path.join(_resolved_folder(str(path.parent), folder.st_dev, folder.st_ino), path.name)


def fetch_file(item: SourceItem, max_bytes: int = DEFAULT_FETCH_MAX_BYTES,
               archived: Callable[[str, str], str | None] | None = None) -> Fetched:
    """Read a local file as it is (raises :class:`FetchError`, also for a file over ``max_bytes``);
    its custody (:func:`flows.custody.acquisition` of the item's) adds the absolute path, size and mtime.

    ``archived(source, status)``: the SHA-256 of the bytes archived from that
    file in that status, if any (:meth:`storage.Archive.archived_file`); a file
    of :data:`ASK_MIN_BYTES` or more found so is not read (a :class:`Fetched`
    with ``sha256`` set and no data).
    """
    path = Path(item.location)
    shown = path_text(str(path))
    try:
        is_link = stat.S_ISLNK(os.lstat(path).st_mode)
        with open(path, "rb") as fh:  # the status is of the open file: of the bytes read
            st = os.fstat(fh.fileno())
            size = st.st_size
            if size > max_bytes:
                raise FetchError(f"{shown}: {size} bytes is over the {max_bytes}-byte limit", source=shown)
            status = file_status(st, time.time()) if size >= ASK_MIN_BYTES else None
            known = _archived_as(archived, shown, status)
            data = b""
            if known is None:
                data = fh.read()
                if status is not None and _state(os.fstat(fh.fileno())) != _state(st):
                    status = None  # written while it was read: the next run reads it again
    except OSError as exc:
        raise FetchError(f"{shown}: cannot read: {exc.strerror or exc}", source=shown) from exc
    guessed, _ = mimetypes.guess_type(path_text(path.name))
    prov = Provenance(source=shown, source_kind="file", obtained_by="file read" if known is None else "file status",
                      media_type=guessed, filename=path_text(path.name), custody=custody.acquisition(item.custody),
                      etag=status)
    prov.custody["file"] = {"path": path_text(_absolute(path, is_link)), "size": size,
                            "modified": _modified(st.st_mtime)}
    if known is not None:
        prov.custody["file"]["read"] = False  # its status is the one recorded when these bytes were read
    exact = path_bytes_hex(str(path))
    if exact:
        prov.headers["path_bytes_hex"] = exact
        prov.warnings.append(f"the file name is not UTF-8: stored as {shown!r}; its exact bytes (hex) are in the "
                             "fetch row's path_bytes_hex")
    return Fetched(data, prov, sha256=known)
