"""Reading local files as they are.

A file name that is not valid UTF-8 keeps its exact bytes: the provenance
shows it with each undecodable byte as ``\\xNN`` and carries the bytes in hex
(see :func:`storage.provenance.path_text`).
"""

from __future__ import annotations

import mimetypes
from datetime import datetime, timezone
from pathlib import Path

from storage.provenance import Provenance, path_bytes_hex, path_text

from flows import custody
from flows.errors import FetchError
from flows.fetching.fetched import Fetched
from flows.settings import DEFAULT_FETCH_MAX_BYTES
from flows.sources.model import SourceItem


def _modified(path: Path) -> str | None:
    """The file's modification time (UTC, ISO 8601) as the file system reports it."""
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).isoformat()
    except OSError:
        return None


def fetch_file(item: SourceItem, max_bytes: int = DEFAULT_FETCH_MAX_BYTES) -> Fetched:
    """Read a local file as it is (raises :class:`FetchError`, also for a file over ``max_bytes``);
    its custody (:func:`flows.custody.acquisition` of the item's) adds the absolute path, size and mtime."""
    path = Path(item.location)
    shown = path_text(str(path))
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise FetchError(f"{shown}: {size} bytes is over the {max_bytes}-byte limit", source=shown)
        data = path.read_bytes()
    except OSError as exc:
        raise FetchError(f"{shown}: cannot read: {exc.strerror or exc}", source=shown) from exc
    guessed, _ = mimetypes.guess_type(path_text(path.name))
    prov = Provenance(source=shown, source_kind="file", obtained_by="file read",
                      media_type=guessed, filename=path_text(path.name), custody=custody.acquisition(item.custody))
    prov.custody["file"] = {"path": path_text(str(path.resolve())), "size": size,
                            "modified": _modified(path)}
    exact = path_bytes_hex(str(path))
    if exact:
        prov.headers["path_bytes_hex"] = exact
        prov.warnings.append(f"the file name is not UTF-8: stored as {shown!r}; its exact bytes (hex) are in the "
                             "fetch row's path_bytes_hex")
    return Fetched(data, prov)
