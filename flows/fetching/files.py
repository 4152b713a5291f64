"""Reading local files as they are.

A file name that is not valid UTF-8 keeps its exact bytes: the provenance
shows it with each undecodable byte as ``\\xNN`` and carries the bytes in hex
(see :func:`storage.provenance.path_text`).
"""

from __future__ import annotations

import mimetypes
import os
import stat
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from storage.provenance import Provenance, path_bytes_hex, path_text

from flows import custody
from flows.errors import FetchError
from flows.fetching.fetched import Fetched
from flows.settings import DEFAULT_FETCH_MAX_BYTES
from flows.sources.model import SourceItem


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


def fetch_file(item: SourceItem, max_bytes: int = DEFAULT_FETCH_MAX_BYTES) -> Fetched:
    """Read a local file as it is (raises :class:`FetchError`, also for a file over ``max_bytes``);
    its custody (:func:`flows.custody.acquisition` of the item's) adds the absolute path, size and mtime."""
    path = Path(item.location)
    shown = path_text(str(path))
    try:
        st = os.lstat(path)
        is_link = stat.S_ISLNK(st.st_mode)
        if is_link:
            st = os.stat(path)
        size = st.st_size
        if size > max_bytes:
            raise FetchError(f"{shown}: {size} bytes is over the {max_bytes}-byte limit", source=shown)
        data = path.read_bytes()
    except OSError as exc:
        raise FetchError(f"{shown}: cannot read: {exc.strerror or exc}", source=shown) from exc
    guessed, _ = mimetypes.guess_type(path_text(path.name))
    prov = Provenance(source=shown, source_kind="file", obtained_by="file read",
                      media_type=guessed, filename=path_text(path.name), custody=custody.acquisition(item.custody))
    prov.custody["file"] = {"path": path_text(_absolute(path, is_link)), "size": size,
                            "modified": _modified(st.st_mtime)}
    exact = path_bytes_hex(str(path))
    if exact:
        prov.headers["path_bytes_hex"] = exact
        prov.warnings.append(f"the file name is not UTF-8: stored as {shown!r}; its exact bytes (hex) are in the "
                             "fetch row's path_bytes_hex")
    return Fetched(data, prov)
