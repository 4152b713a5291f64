"""Reading local files as they are.

A file of :data:`ASK_MIN_BYTES` or more whose status (device, inode, size,
modification and change times to the nanosecond) is the one recorded when
its bytes were archived is not read again (a smaller file costs less to read
and hash than to look up): any write changes its change time, which no tool can set back (a
copy that keeps the modification time, ``touch -d``, a restore from backup:
each sets the change time to now). As git does with its index, a file
changed within :data:`RACY_WINDOW_S` of being read gets no status recorded
(it may change again within the resolution of its timestamps), so the next
run reads it.

A file name that is not valid UTF-8 keeps its exact bytes: the provenance
shows it with each undecodable byte as ``\\xNN`` and carries the bytes in hex
(see :func:`storage.provenance.path_text`).
"""

from __future__ import annotations

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


RACY_WINDOW_S = 2.0  # seconds: coarser than the timestamps of any file system in use (FAT: 2 s)
ASK_MIN_BYTES = 256 * 1024  # a smaller file is read: one lookup of a status costs what reading and hashing ~100 KB does


def file_status(st: os.stat_result, now: float) -> str | None:
    """The validator of a file in the state ``st``, or ``None`` when its status cannot stand for its bytes:
    changed less than :data:`RACY_WINDOW_S` before ``now`` (or after it), or no inode number."""
    if not st.st_ino or now - max(st.st_mtime, st.st_ctime) < RACY_WINDOW_S:
        return None
    return f"{FILE_STATUS_PREFIX}{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"


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
        st = os.lstat(path)
        is_link = stat.S_ISLNK(st.st_mode)
        if is_link:
            st = os.stat(path)
        size = st.st_size
        status = file_status(st, time.time())
        known = None
        if archived is not None and status is not None and size >= ASK_MIN_BYTES:
            known = archived(shown, status)
        if known is None and size > max_bytes:
            raise FetchError(f"{shown}: {size} bytes is over the {max_bytes}-byte limit", source=shown)
        data = b"" if known is not None else path.read_bytes()
    except OSError as exc:
        raise FetchError(f"{shown}: cannot read: {exc.strerror or exc}", source=shown) from exc
    guessed, _ = mimetypes.guess_type(path_text(path.name))
    prov = Provenance(source=shown, source_kind="file", obtained_by="file read" if known is None else "file status",
                      media_type=guessed, filename=path_text(path.name), custody=custody.acquisition(item.custody),
                      etag=status)
    prov.custody["file"] = {"path": path_text(_absolute(path, is_link)), "size": size,
                            "modified": _modified(st.st_mtime)}
    exact = path_bytes_hex(str(path))
    if exact:
        prov.headers["path_bytes_hex"] = exact
        prov.warnings.append(f"the file name is not UTF-8: stored as {shown!r}; its exact bytes (hex) are in the "
                             "fetch row's path_bytes_hex")
    return Fetched(data, prov, sha256=known)
