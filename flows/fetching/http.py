"""Fetching http(s) URLs with httpx.

``fetch_url`` is one GET with the archive's rules:

* only ``http`` and ``https`` URLs, also for every redirect target;
* a ``User-Agent`` that names archivist;
* conditional GET with the stored ``ETag`` / ``Last-Modified`` (a 304 costs
  one request and yields a :class:`Fetched` with ``not_modified`` set and no bytes);
* redirects followed by hand (at most ``max_redirects``, loops refused)
  so that every hop is captured;
* time-outs per operation plus an overall deadline (``max_seconds``);
* a size limit enforced while streaming, on the bytes received and on the
  decoded bytes (a gzip bomb stops at the limit too);
* every response (2xx, 3xx, 304, 4xx, 5xx, cut-short ones too) written as a
  WARC file under ``warc_dir`` (see :mod:`flows.fetching.warc`).

Failures raise :class:`FetchError`; ``retryable`` is set for time-outs,
connection errors and 5xx, which the Prefect ``fetch`` task retries with
backoff, and unset for 4xx, policy refusals (scheme, redirects, size) and
undecodable bodies. The body of an error response is kept on the error
(``data`` and ``provenance``) so the pipeline archives it as a failed record.

The limits' defaults are in :mod:`flows.settings` (the ingest steps pass the
configured ones); reading local files is :mod:`flows.fetching.files`.
"""

from __future__ import annotations

import hashlib
import logging
import time
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

from storage.provenance import Provenance

from flows.errors import FetchError
from flows.fetching.fetched import Fetched
from flows.fetching.warc import Exchange, write_warc
from flows.settings import (
    DEFAULT_FETCH_MAX_BYTES,
    DEFAULT_FETCH_MAX_REDIRECTS,
    DEFAULT_FETCH_MAX_SECONDS,
    DEFAULT_HTTP_CONNECT_TIMEOUT_S,
    DEFAULT_HTTP_TIMEOUT_S,
    FetchLimits,
)

__all__ = ["Fetched", "fetch_url", "timeout_for", "USER_AGENT", "TIMEOUT", "MAX_BYTES"]

log = logging.getLogger(__name__)

USER_AGENT = "archivist/0.1 (archival document ingestion; +https://example.invalid/archivist)"
MAX_BYTES = DEFAULT_FETCH_MAX_BYTES
MAX_REDIRECTS = DEFAULT_FETCH_MAX_REDIRECTS
MAX_SECONDS = DEFAULT_FETCH_MAX_SECONDS  # whole fetch, however slowly the bytes trickle in
TIMEOUT = httpx.Timeout(DEFAULT_HTTP_TIMEOUT_S, connect=DEFAULT_HTTP_CONNECT_TIMEOUT_S)
ACCEPT_ENCODING = "gzip, deflate"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
SCHEMES = ("http", "https")


def timeout_for(limits: FetchLimits) -> httpx.Timeout:
    """The per-operation time-outs of ``limits`` as httpx wants them."""
    return httpx.Timeout(limits.timeout_s, connect=limits.connect_timeout_s)


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


# -- content decoding, bounded ------------------------------------------------


class _TooLarge(Exception):
    pass


class _Stage:
    """One content coding being undone, counting what it produces against a limit."""

    total = 0

    def _counted(self, out: bytes, limit: int) -> bytes:
        self.total += len(out)
        if self.total > limit:
            raise _TooLarge
        return out

    def flush(self, limit: int) -> bytes:
        return self._counted(self.obj.flush(), limit)


class _ZlibStage(_Stage):
    """gzip or deflate, never producing more than ``limit`` bytes in total."""

    def __init__(self, coding: str):
        self.coding = coding
        self.total = 0
        self.started = False
        self.buffer = b""
        self.obj = zlib.decompressobj(16 + zlib.MAX_WBITS if coding in ("gzip", "x-gzip") else zlib.MAX_WBITS)

    def decode(self, data: bytes, limit: int) -> bytes:
        if self.coding == "deflate" and not self.started:
            # "deflate" is zlib-wrapped by the RFC, raw deflate in practice now and then.
            self.buffer += data
            try:
                out = self.obj.decompress(self.buffer, limit - self.total + 1)
            except zlib.error:
                self.obj = zlib.decompressobj(-zlib.MAX_WBITS)
                out = self.obj.decompress(self.buffer, limit - self.total + 1)
            self.started = True
            self.buffer = b""
        else:
            out = self.obj.decompress(data, limit - self.total + 1)
        out = self._counted(out, limit)
        if self.coding != "deflate" and self.obj.eof and self.obj.unused_data:  # concatenated gzip members
            rest = self.obj.unused_data
            self.obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out += self.decode(rest, limit)
        return out


class _OtherStage(_Stage):
    """Codings we never ask for (br, zstd) but a server may send: httpx's decoder, if there is one."""

    def __init__(self, coding: str):
        from httpx import _decoders  # private, but the only place br/zstd decoders live

        self.obj = _decoders.SUPPORTED_DECODERS[coding]()
        self.total = 0

    def decode(self, data: bytes, limit: int) -> bytes:
        return self._counted(self.obj.decode(data), limit)


class _Decoder:
    """Undo ``Content-Encoding`` (last applied, first undone); unknown codings pass through, as in httpx."""

    def __init__(self, content_encoding: str | None, limit: int):
        self.limit = limit
        self.stages: list[Any] = []
        codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
        for coding in reversed(codings):
            if coding in ("gzip", "x-gzip", "deflate"):
                self.stages.append(_ZlibStage(coding))
            elif coding != "identity":
                try:
                    self.stages.append(_OtherStage(coding))
                except (ImportError, KeyError):
                    log.warning("unknown Content-Encoding %r kept as it is", coding)

    def decode(self, data: bytes) -> bytes:
        for stage in self.stages:
            data = stage.decode(data, self.limit)
        return data

    def flush(self) -> bytes:
        data = b""
        for stage in self.stages:
            data = stage.decode(data, self.limit) if data else b""
            data += stage.flush(self.limit)
        return data


# -- one request ---------------------------------------------------------------


def _check_url(url: str, source: str, what: str = "") -> None:
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES:
        raise FetchError(f"{source}: {what}only http and https URLs are fetched (not {url!r})", source=source)
    if not parts.hostname:
        raise FetchError(f"{source}: {what}URL has no host ({url!r})", source=source)


def _peer_address(response: httpx.Response) -> str | None:
    stream = response.extensions.get("network_stream")
    try:
        addr = stream.get_extra_info("server_addr") if stream is not None else None
    except Exception:  # noqa: BLE001 - only a nicety for the WARC record
        return None
    return str(addr[0]) if addr else None


def _text_headers(raw: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]


def _provenance(source: str, response: httpx.Response, at: datetime, *, etag: str | None = None,
                last_modified: str | None = None, obtained_by: str = "HTTP GET") -> Provenance:
    media, charset = _split_content_type(response.headers.get("content-type"))
    final = str(response.url)
    return Provenance(
        source=source, source_kind="url", obtained_by=obtained_by, obtained_at=at, media_type=media,
        charset=charset, filename=unquote(Path(urlsplit(final).path).name) or None, final_url=final,
        status_code=response.status_code, headers=dict(response.headers),
        etag=response.headers.get("etag") or etag,
        last_modified=response.headers.get("last-modified") or last_modified,
    )


@dataclass
class _Hop:
    response: httpx.Response
    data: bytes  # decoded body
    at: datetime


@dataclass(frozen=True)
class _Bounds:
    timeout: httpx.Timeout | float
    max_bytes: int
    max_seconds: float
    max_redirects: int


def _one_request(client: httpx.Client, source: str, url: str, headers: dict[str, str], bounds: _Bounds,
                 deadline: float, exchanges: list[Exchange]) -> _Hop:
    """GET ``url`` once (no redirects), read the body within the limits, record the exchange."""
    try:
        request = client.build_request("GET", url, headers=headers, timeout=bounds.timeout)
    except httpx.InvalidURL as exc:
        raise FetchError(f"{source}: invalid URL {url!r}: {exc}", source=source) from exc
    at = datetime.now(timezone.utc)
    try:
        response = client.send(request, stream=True, follow_redirects=False)
    except httpx.TimeoutException as exc:
        raise FetchError(f"{source}: timed out ({type(exc).__name__})", source=source, retryable=True) from exc
    except (httpx.UnsupportedProtocol, httpx.LocalProtocolError) as exc:
        raise FetchError(f"{source}: request refused: {exc}", source=source) from exc
    except httpx.TransportError as exc:
        raise FetchError(f"{source}: connection failed: {exc}", source=source, retryable=True) from exc
    ex = Exchange(url=str(request.url), method=request.method, target=request.url.raw_path.decode("ascii"),
                  request_headers=_text_headers(request.headers.raw), status=response.status_code,
                  reason=response.reason_phrase, http_version=response.http_version,
                  response_headers=_text_headers(response.headers.raw), ip_address=_peer_address(response),
                  requested_at=at)
    exchanges.append(ex)
    try:
        return _Hop(response, _read_body(response, ex, source, bounds, deadline), at)
    finally:
        response.close()


def _read_body(response: httpx.Response, ex: Exchange, source: str, bounds: _Bounds, deadline: float) -> bytes:
    """The decoded body; ``ex.body`` gets the bytes as received (even when cut short)."""
    max_bytes = bounds.max_bytes
    declared = response.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > max_bytes:
        ex.truncated = "length"
        raise FetchError(f"{source}: Content-Length {declared} is over the {max_bytes}-byte limit",
                         source=source, status_code=response.status_code)
    encoding = response.headers.get("content-encoding")
    decoder = _Decoder(encoding, max_bytes)
    raw: list[bytes] = []
    out: list[bytes] = []
    received = 0
    try:
        for chunk in response.iter_raw():
            raw.append(chunk)
            received += len(chunk)
            if received > max_bytes:
                raise _TooLarge
            out.append(decoder.decode(chunk))
            if time.monotonic() > deadline:
                ex.truncated = "time"
                raise FetchError(f"{source}: not complete after {bounds.max_seconds:g} s", source=source,
                                 retryable=True,
                                 status_code=response.status_code)
        out.append(decoder.flush())
    except _TooLarge as exc:
        ex.truncated = "length"
        raise FetchError(f"{source}: body is over the {max_bytes}-byte limit (stopped reading)", source=source,
                         status_code=response.status_code) from exc
    except httpx.TimeoutException as exc:
        ex.truncated = "time"
        raise FetchError(f"{source}: timed out reading the body ({type(exc).__name__})", source=source,
                         retryable=True, status_code=response.status_code) from exc
    except httpx.TransportError as exc:
        ex.truncated = "disconnect"
        raise FetchError(f"{source}: connection broke reading the body: {exc}", source=source, retryable=True,
                         status_code=response.status_code) from exc
    except zlib.error as exc:
        data = b"".join(raw)
        raise FetchError(f"{source}: body does not decode as Content-Encoding {encoding}: {exc}", source=source,
                         status_code=response.status_code, data=data,
                         provenance=_provenance(source, response, ex.requested_at)) from exc
    finally:
        ex.body = b"".join(raw)
    return b"".join(out)


def _follow(client: httpx.Client, url: str, headers: dict[str, str], bounds: _Bounds,
            exchanges: list[Exchange]) -> _Hop:
    """GET ``url``, following at most ``bounds.max_redirects`` redirects to http(s) URLs."""
    deadline = time.monotonic() + bounds.max_seconds
    chain = [url]
    current = url
    while True:
        hop = _one_request(client, url, current, headers, bounds, deadline, exchanges)
        response = hop.response
        location = response.headers.get("location")
        if response.status_code not in REDIRECT_STATUSES or not location:
            return hop
        try:
            target = str(response.url.join(location.strip()))
        except (httpx.InvalidURL, ValueError) as exc:
            raise FetchError(f"{url}: redirect to an invalid URL {location!r}", source=url) from exc
        _check_url(target, url, "redirected, but ")
        if chain.count(target) >= 2:  # one return (a cookie bounce) is allowed, a second is a loop
            shown = " → ".join(chain + [target])
            raise FetchError(f"{url}: redirect loop ({shown})", source=url)
        if len(chain) > bounds.max_redirects:
            raise FetchError(f"{url}: more than {bounds.max_redirects} redirects (last to {target})", source=url)
        chain.append(target)
        current = target


def _capture(warc_dir: Path | None, exchanges: list[Exchange], data: bytes | None) -> str | None:
    """Write the WARC file; return its path relative to the archive home (``warc_dir.parent``).

    The file is named by the SHA-256 of ``data`` (the decoded body, i.e. the
    archived original) when there is one.
    """
    if warc_dir is None or not exchanges:
        return None
    warc_dir = Path(warc_dir)
    path = write_warc(warc_dir, exchanges, hashlib.sha256(data).hexdigest() if data is not None else None)
    return path.relative_to(warc_dir.parent).as_posix()


def fetch_url(url: str, *, etag: str | None = None, last_modified: str | None = None,
              max_bytes: int = MAX_BYTES, timeout: httpx.Timeout | float = TIMEOUT,
              client: httpx.Client | None = None, warc_dir: Path | None = None,
              max_seconds: float = MAX_SECONDS, max_redirects: int = MAX_REDIRECTS) -> Fetched:
    """GET ``url``; return the bytes, or, when the server answers 304, a :class:`Fetched` with
    ``not_modified`` set, no bytes and the 304's provenance.

    ``etag`` / ``last_modified`` make the request conditional. ``timeout``
    applies to every request (also with a caller's ``client``, which may be
    shared between threads; its own redirect setting is not used). With
    ``warc_dir`` every response is also written to a WARC file there, and
    ``Provenance.warc_path`` (on the result or on the error's provenance) is
    its path relative to ``warc_dir.parent``.

    Raises :class:`FetchError` with ``retryable`` set for timeouts, connection
    errors and 5xx, unset for 4xx, too many redirects, redirect loops,
    oversized bodies and non-http(s) URLs. The size limit is enforced while
    streaming; ``max_seconds`` bounds the whole fetch, ``max_redirects`` the hops.
    """
    _check_url(url, url)
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    own = client is None
    if client is None:
        client = httpx.Client(follow_redirects=False, timeout=timeout, headers={"User-Agent": USER_AGENT})
    exchanges: list[Exchange] = []
    bounds = _Bounds(timeout, max_bytes, max_seconds, max_redirects)
    try:
        hop = _follow(client, url, headers, bounds, exchanges)
    except FetchError as exc:
        try:
            rel = _capture(warc_dir, exchanges, exc.data)
        except OSError as werr:  # the fetch error is the one to report
            log.error("%s: cannot write the WARC capture: %s", url, werr)
            rel = None
        if rel and isinstance(exc.provenance, Provenance):
            exc.provenance.warc_path = rel
        elif rel:
            exc.args = (f"{exc.args[0]} (what arrived is in {rel})",)
        exc.warc_path = rel
        raise
    finally:
        if own:
            client.close()

    response = hop.response
    status = response.status_code
    try:
        rel = _capture(warc_dir, exchanges, None if status == 304 else hop.data)
    except OSError as exc:
        raise FetchError(f"{url}: cannot write the WARC capture: {exc}", source=url) from exc
    if status == 304:
        prov = _provenance(url, response, hop.at, etag=etag, last_modified=last_modified,
                           obtained_by="HTTP GET (conditional)")
        prov.warc_path = rel
        return Fetched(b"", prov, not_modified=True)
    prov = _provenance(url, response, hop.at)
    prov.warc_path = rel
    if status >= 400 or status < 200 or 300 <= status < 400:
        kind = "HTTP" if status >= 400 else "unexpected HTTP"
        raise FetchError(f"{url}: {kind} {status} {response.reason_phrase}".rstrip(), source=url,
                         retryable=status >= 500, status_code=status, data=hop.data, provenance=prov)
    return Fetched(hop.data, prov)
