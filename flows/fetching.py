"""Obtaining bytes: reading files and fetching http(s) URLs with httpx."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from storage.provenance import Provenance

from .errors import FetchError
from .sources import SourceItem

USER_AGENT = "archivist/0.1 (archival document ingestion; +https://example.invalid/archivist)"
MAX_BYTES = 200 * 1024 * 1024
MAX_REDIRECTS = 10
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


@dataclass
class Fetched:
    """Bytes and how they were obtained."""

    data: bytes
    provenance: Provenance


def fetch_file(item: SourceItem, max_bytes: int = MAX_BYTES) -> Fetched:
    """Read a local file as it is."""
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


def _split_content_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    parts = [p.strip() for p in value.split(";")]
    media = parts[0].lower() or None
    charset = None
    for part in parts[1:]:
        if part.lower().startswith("charset="):
            charset = part.split("=", 1)[1].strip("\"' ") or None
    return media, charset


def fetch_url(url: str, *, etag: str | None = None, last_modified: str | None = None,
              max_bytes: int = MAX_BYTES, timeout: httpx.Timeout | float = TIMEOUT,
              client: httpx.Client | None = None, warc_dir: Path | None = None) -> Fetched | None:
    """GET ``url``; return the bytes, or ``None`` when the server answers 304.

    Raises :class:`FetchError` with ``retryable`` set for timeouts, connection
    errors and 5xx, unset for 4xx, too many redirects, oversized bodies and
    non-http(s) URLs. The size limit is enforced while streaming.
    """
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise FetchError(f"{url}: only http and https URLs are fetched", source=url)
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    own = client is None
    client = client or httpx.Client(follow_redirects=True, max_redirects=MAX_REDIRECTS, timeout=timeout)
    try:
        with client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return None
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"{url}: Content-Length {declared} is over the {max_bytes}-byte limit", source=url)
            chunks, total = [], 0
            for chunk in response.iter_bytes():
                total += len(chunk)
                if total > max_bytes:
                    raise FetchError(f"{url}: body is over the {max_bytes}-byte limit", source=url)
                chunks.append(chunk)
            data = b"".join(chunks)
            media, charset = _split_content_type(response.headers.get("content-type"))
            prov = Provenance(
                source=url, source_kind="url", obtained_by="HTTP GET", media_type=media, charset=charset,
                filename=Path(urlsplit(str(response.url)).path).name or None, final_url=str(response.url),
                status_code=response.status_code, headers=dict(response.headers),
                etag=response.headers.get("etag"), last_modified=response.headers.get("last-modified"),
            )
            if response.status_code >= 400:
                raise FetchError(f"{url}: HTTP {response.status_code} {response.reason_phrase}", source=url,
                                 retryable=response.status_code >= 500, status_code=response.status_code,
                                 data=data, provenance=prov)
            return Fetched(data, prov)
    except httpx.TooManyRedirects as exc:
        raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects", source=url) from exc
    except httpx.TimeoutException as exc:
        raise FetchError(f"{url}: timed out ({type(exc).__name__})", source=url, retryable=True) from exc
    except httpx.TransportError as exc:
        raise FetchError(f"{url}: connection failed: {exc}", source=url, retryable=True) from exc
    finally:
        if own:
            client.close()
