"""Reading local files as they are."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from storage.provenance import Provenance

from flows.errors import FetchError
from flows.fetching.fetched import Fetched
from flows.settings import DEFAULT_FETCH_MAX_BYTES
from flows.sources.model import SourceItem


def fetch_file(item: SourceItem, max_bytes: int = DEFAULT_FETCH_MAX_BYTES) -> Fetched:
    """Read a local file as it is (raises :class:`FetchError`, also for a file over ``max_bytes``)."""
    path = Path(item.location)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise FetchError(f"{path}: {size} bytes is over the {max_bytes}-byte limit", source=str(path))
        data = path.read_bytes()
    except OSError as exc:
        raise FetchError(f"{path}: cannot read: {exc.strerror or exc}", source=str(path)) from exc
    guessed, _ = mimetypes.guess_type(path.name)
    prov = Provenance(source=str(path), source_kind="file", obtained_by="file read",
                      media_type=guessed, filename=path.name)
    return Fetched(data, prov)
