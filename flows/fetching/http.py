"""Fetching http(s) URLs with httpx.

``fetch_url`` is one GET with the archive's rules:

* only ``http`` and ``https`` URLs, also for every redirect target;
* a ``User-Agent`` that names archivist;
* conditional GET with the stored ``ETag`` / ``Last-Modified`` (a 304 costs
  one request and yields a :class:`Fetched` with ``not_modified`` set and no bytes);
* redirects followed by hand (at most ``max_redirects``, loops refused)
  so that every hop is captured;
* the fetch policy of :mod:`flows.fetching.policy` on every hop: no loopback,
  private, link-local, multicast or reserved address unless ``allow_private``
  (checked on the resolved addresses before the request and on the peer after
  connecting); ``user:password@`` is stripped from every URL, credentials come
  from :class:`~flows.fetching.policy.Credentials` and go to the first host only;
* time-outs per operation, a cap on the time to the response headers
  (``first_byte_s``, a header drip is cut off) and an overall deadline
  (``max_seconds``), enforced by a watchdog that shuts the socket down;
* a body that does not match its ``Content-Length`` is flagged: a longer one is
  kept with a warning in its provenance, a shorter one is a failure (bytes kept);
* 429 and 503 are retryable and carry the ``Retry-After`` wait;
* a size limit enforced while streaming, on the bytes received and on the
  decoded bytes (a gzip bomb stops at the limit too);
* every response (2xx, 3xx, 304, 4xx, 5xx, cut-short ones too) written as a
  WARC file under ``warc_dir`` (see :mod:`flows.fetching.warc`);
* the chain of custody in ``Provenance.custody`` (:mod:`flows.custody`): the
  peer's address, the TLS certificate chain (:mod:`flows.fetching.tls`), the
  request headers as sent (credentials redacted) and the user agent.

Failures raise :class:`FetchError`; ``retryable`` is set for time-outs,
connection errors, 429 and 5xx, which the Prefect ``fetch`` task and the
in-process runner retry by :func:`flows.fetching.policy.retry_delay`, and
unset for other 4xx, policy refusals (address, scheme, redirects, size) and
undecodable bodies. The body of an error response is kept on the error
(``data`` and ``provenance``) so the pipeline archives it as a failed record.

The limits' defaults are in :mod:`flows.settings` (the ingest steps pass the
configured ones); reading local files is :mod:`flows.fetching.files`.
"""

from __future__ import annotations

import hashlib
import logging
import socket
import threading
import time
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import getproxies

import httpx

from storage.provenance import Provenance

from flows import custody as custody_record
from flows.errors import FetchError
from flows.fetching.fetched import Fetched
from flows.fetching.policy import REDACTED, Credentials, check_host, parse_retry_after, refusal, strip_userinfo
from flows.fetching.tls import tls_facts
from flows.fetching.warc import Exchange, write_warc
from flows.settings import (
    DEFAULT_FETCH_FIRST_BYTE_SECONDS,
    DEFAULT_FETCH_MAX_BYTES,
    DEFAULT_FETCH_MAX_REDIRECTS,
    DEFAULT_FETCH_MAX_SECONDS,
    DEFAULT_HTTP_CONNECT_TIMEOUT_S,
    DEFAULT_HTTP_TIMEOUT_S,
    FetchLimits,
    settings,
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
RETRY_AFTER_STATUSES = frozenset({429, 503})
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


def _tls(response: httpx.Response) -> dict[str, Any] | None:
    """The TLS session and certificate chain of the connection ``response`` came on (None for plain HTTP)."""
    stream = response.extensions.get("network_stream")
    try:
        ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
        return tls_facts(ssl_object)
    except Exception as exc:  # noqa: BLE001 - custody records what it can; the fetch itself is fine
        log.warning("%s: cannot read the TLS certificate chain: %s", response.url, exc)
        return {"error": f"{type(exc).__name__}: {exc}"}


def _text_headers(raw: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]


def _provenance(source: str, response: httpx.Response, at: datetime, *, etag: str | None = None,
                last_modified: str | None = None, obtained_by: str = "HTTP GET") -> Provenance:
    media, charset = _split_content_type(response.headers.get("content-type"))
    final = strip_userinfo(str(response.url))
    headers = dict(response.headers)
    for key in ("set-cookie", "authorization", "cookie"):  # a session cookie is a credential too
        headers.pop(key, None)
    return Provenance(
        source=source, source_kind="url", obtained_by=obtained_by, obtained_at=at, media_type=media,
        charset=charset, filename=unquote(Path(urlsplit(final).path).name) or None, final_url=final,
        status_code=response.status_code, headers=headers,
        etag=response.headers.get("etag") or etag,
        last_modified=response.headers.get("last-modified") or last_modified,
    )


@dataclass
class _Hop:
    response: httpx.Response
    data: bytes  # decoded body
    at: datetime
    bad_location: str | None = None  # a Location header no URL can be made of
    length_warning: str | None = None  # the body did not match its Content-Length


@dataclass(frozen=True)
class _Bounds:
    timeout: httpx.Timeout | float
    max_bytes: int
    max_seconds: float
    max_redirects: int
    first_byte_s: float = DEFAULT_FETCH_FIRST_BYTE_SECONDS
    allow_private: bool = False


class _Watchdog:
    """Cuts a fetch off when a deadline passes, however slowly the bytes drip in.

    httpx's time-outs are per read, so a server sending one header byte a
    second never times out. The watchdog learns each socket from httpcore's
    ``trace`` extension and, at the deadline, shuts it down, which wakes the
    blocked read; ``fired`` then says which deadline it was.
    """

    def __init__(self) -> None:
        self.sockets: list[socket.socket] = []
        self.fired: str | None = None
        self.timer: threading.Timer | None = None
        self.lock = threading.Lock()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if event in ("connection.connect_tcp.complete", "connection.connect_unix_socket.complete"):
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if sock is not None:
                with self.lock:
                    self.sockets.append(sock)
                    if self.fired:
                        self._shutdown(sock)

    def arm(self, seconds: float, why: str) -> None:
        self.cancel()
        self.timer = threading.Timer(max(0.0, seconds), self._fire, [why])
        self.timer.daemon = True
        self.timer.start()

    def cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    @staticmethod
    def _shutdown(sock: socket.socket) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _fire(self, why: str) -> None:
        with self.lock:
            self.fired = why
            for sock in self.sockets:
                self._shutdown(sock)


def _location_guard(response: httpx.Response) -> None:
    """httpx builds the next request of every redirect and raises on a Location like ``javascript:``;
    keep a Location that is not an http(s) URL aside (the hop is still recorded, and fails with a clear error)."""
    location = response.headers.get("location")
    if location is None or response.status_code not in REDIRECT_STATUSES:
        return
    try:
        target = response.url.join(location.strip())
        usable = target.scheme in SCHEMES and bool(target.host)
    except (httpx.InvalidURL, ValueError):
        usable = False
    if not usable:  # javascript:, mailto:, data:, ftp: ... (refused anyway) or no URL at all
        response.extensions["archivist.raw_headers"] = list(response.headers.raw)
        response.extensions["archivist.bad_location"] = location
        del response.headers["location"]


def _trailing_bytes(response: httpx.Response) -> int:
    """How many bytes arrived after the body its Content-Length announced (best effort).

    The HTTP parser (h11) keeps such bytes as "trailing data" and never hands
    them on; nothing public reaches them, so the chain of httpx/httpcore
    streams is walked with ``getattr`` and any change there just means 0.
    """
    obj: Any = response.stream
    for name in ("_stream", "_httpcore_stream", "_stream", "_connection", "_h11_state"):
        obj = getattr(obj, name, None)
    data = getattr(obj, "trailing_data", (b"", False))[0] if obj is not None else b""
    count = len(data)
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    # not under TLS: the socket may hold TLS records (session tickets, close_notify) that are no body bytes
    if sock is not None and stream.get_extra_info("ssl_object") is None:
        try:
            count += len(sock.recv(65536, socket.MSG_PEEK | socket.MSG_DONTWAIT))
        except OSError:
            pass
    return count


def _send(client: httpx.Client, request: httpx.Request, source: str, watchdog: _Watchdog) -> httpx.Response:
    try:
        return client.send(request, stream=True, follow_redirects=False)
    except httpx.TimeoutException as exc:
        raise FetchError(f"{source}: timed out ({type(exc).__name__})", source=source, retryable=True) from exc
    except (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.InvalidURL) as exc:
        raise FetchError(f"{source}: request refused: {exc}", source=source) from exc
    except httpx.TransportError as exc:
        if watchdog.fired:
            raise FetchError(f"{source}: no complete response headers within {watchdog.fired}", source=source,
                             retryable=True) from exc
        raise FetchError(f"{source}: connection failed: {exc}", source=source, retryable=True) from exc


def _one_request(client: httpx.Client, source: str, url: str, headers: dict[str, str], bounds: _Bounds,
                 deadline: float, exchanges: list[Exchange], secret: frozenset[str] = frozenset()) -> _Hop:
    """GET ``url`` once (no redirects), read the body within the limits, record the exchange
    (the values of the ``secret`` request headers, lower-case names, recorded as ``[redacted]``)."""
    check_host(url, bounds.allow_private)
    watchdog = _Watchdog()
    try:
        request = client.build_request("GET", url, headers=headers, timeout=bounds.timeout,
                                       extensions={"trace": watchdog.trace})
    except httpx.InvalidURL as exc:
        raise FetchError(f"{source}: invalid URL {url!r}: {exc}", source=source) from exc
    at = datetime.now(timezone.utc)
    first = min(bounds.first_byte_s, max(0.0, deadline - time.monotonic()))
    watchdog.arm(first, f"{first:g} s")
    try:
        response = _send(client, request, source, watchdog)
        watchdog.arm(deadline - time.monotonic(), f"{bounds.max_seconds:g} s")
        raw_headers = response.extensions.get("archivist.raw_headers") or response.headers.raw
        ex = Exchange(url=str(request.url), method=request.method, target=request.url.raw_path.decode("ascii"),
                      request_headers=[(k, REDACTED if k.lower() in secret else v)
                                       for k, v in _text_headers(request.headers.raw)], status=response.status_code,
                      reason=response.reason_phrase, http_version=response.http_version,
                      response_headers=_text_headers(raw_headers), ip_address=_peer_address(response),
                      tls=_tls(response), requested_at=at)
        exchanges.append(ex)
        try:
            # the peer is the proxy when one is configured: then only the target's own resolution is judged
            judge = ex.ip_address and not bounds.allow_private and not getproxies()
            why = refusal(ex.ip_address) if judge else None
            if why:  # resolved to something else when connecting (DNS rebinding)
                raise FetchError(f"{source}: refused by the fetch policy: connected to {why}", source=source)
            hop = _Hop(response, _read_body(response, ex, source, bounds, deadline, watchdog), at,
                       bad_location=response.extensions.get("archivist.bad_location"))
            hop.length_warning = _length_check(response, ex, source)
            return hop
        finally:
            response.close()
    finally:
        watchdog.cancel()


def _length_check(response: httpx.Response, ex: Exchange, source: str) -> str | None:
    """A warning when more bytes arrived than the Content-Length said (kept: the declared body)."""
    declared = response.headers.get("content-length", "").strip()
    if not declared.isdigit():
        return None
    extra = _trailing_bytes(response)
    if extra:
        ex.truncated = "length"
        log.warning("%s: %d byte(s) beyond its Content-Length %s were not kept", source, extra, declared)
        return f"the server sent at least {extra} byte(s) beyond the Content-Length {declared}; only those are kept"
    return None


def _read_body(response: httpx.Response, ex: Exchange, source: str, bounds: _Bounds, deadline: float,
               watchdog: _Watchdog | None = None) -> bytes:
    """The decoded body; ``ex.body`` gets the bytes as received (even when cut short). "long": one
    ``except`` per way a body can go wrong, each with its own message."""
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
                raise httpx.ReadTimeout("deadline")
        out.append(decoder.flush())
    except _TooLarge as exc:
        ex.truncated = "length"
        raise FetchError(f"{source}: body is over the {max_bytes}-byte limit (stopped reading)", source=source,
                         status_code=response.status_code) from exc
    except (httpx.TimeoutException, httpx.TransportError) as exc:
        late = time.monotonic() > deadline or (watchdog is not None and watchdog.fired)
        if isinstance(exc, httpx.TimeoutException) or late:
            ex.truncated = "time"
            what = f"not complete after {bounds.max_seconds:g} s" if late else \
                f"timed out reading the body ({type(exc).__name__})"
            raise FetchError(f"{source}: {what}", source=source, retryable=True,
                             status_code=response.status_code) from exc
        ex.truncated = "disconnect"
        got = sum(map(len, raw))
        if declared.isdigit() and got < int(declared):
            raise FetchError(f"{source}: body shorter than its Content-Length ({got} of {declared} bytes arrived)",
                             source=source, retryable=True, status_code=response.status_code,
                             data=b"".join(raw), provenance=_provenance(source, response, ex.requested_at)) from exc
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


def _same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme.lower(), pa.hostname, pa.port) == (pb.scheme.lower(), pb.hostname, pb.port)


def _follow(client: httpx.Client, url: str, headers: dict[str, str], bounds: _Bounds,
            exchanges: list[Exchange], secret_headers: dict[str, str] | None = None) -> _Hop:
    """GET ``url``, following at most ``bounds.max_redirects`` redirects to http(s) URLs.

    ``secret_headers`` (credentials) go only to ``url``'s own scheme, host and port.
    """
    deadline = time.monotonic() + bounds.max_seconds
    chain = [url]
    current = url
    while True:
        sent = {**headers, **(secret_headers or {})} if _same_origin(current, url) else headers
        hop = _one_request(client, url, current, sent, bounds, deadline, exchanges,
                           frozenset(k.lower() for k in secret_headers or {}))
        response = hop.response
        if hop.bad_location is not None:
            raise FetchError(f"{url}: redirect to an invalid URL {hop.bad_location!r} (only http and https URLs "
                             "are fetched)", source=url)
        location = response.headers.get("location")
        if response.status_code not in REDIRECT_STATUSES or not location:
            return hop
        try:
            target = strip_userinfo(str(response.url.join(location.strip())))
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


def _secret_headers(credentials: Credentials | None, source: str) -> dict[str, str]:
    """The credentials' headers, read from the environment now (never stored)."""
    import base64
    import os

    if credentials is None:
        return {}
    out = {}
    for header, var in credentials.header_env:
        value = os.environ.get(var)
        if value is None:
            raise FetchError(f"{source}: ${var} (for the {header} header) is not set", source=source)
        out[header] = value
    if credentials.auth_env:
        value = os.environ.get(credentials.auth_env)
        if value is None or ":" not in value:
            raise FetchError(f"{source}: ${credentials.auth_env} must hold user:password", source=source)
        out["Authorization"] = "Basic " + base64.b64encode(value.encode("utf-8")).decode("ascii")
    return out


def _client_for(client: httpx.Client | None, timeout: httpx.Timeout | float) -> httpx.Client:
    if client is None:
        return httpx.Client(follow_redirects=False, timeout=timeout, headers={"User-Agent": USER_AGENT},
                            event_hooks={"response": [_location_guard]})
    if _location_guard not in client.event_hooks.get("response", []):
        client.event_hooks = {**client.event_hooks,
                              "response": [*client.event_hooks.get("response", []), _location_guard]}
    return client


def _failed(exc: FetchError, url: str, warc_dir: Path | None, exchanges: list[Exchange]) -> None:
    """Write what arrived to the WARC and note where on the error."""
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


def fetch_url(url: str, *, etag: str | None = None, last_modified: str | None = None,
              max_bytes: int = MAX_BYTES, timeout: httpx.Timeout | float = TIMEOUT,
              client: httpx.Client | None = None, warc_dir: Path | None = None,
              max_seconds: float = MAX_SECONDS, max_redirects: int = MAX_REDIRECTS,
              first_byte_s: float = DEFAULT_FETCH_FIRST_BYTE_SECONDS, allow_private: bool | None = None,
              credentials: Credentials | None = None, custody: dict[str, Any] | None = None) -> Fetched:
    """GET ``url``; return the bytes, or, when the server answers 304, a :class:`Fetched` with
    ``not_modified`` set, no bytes and the 304's provenance.

    ``etag`` / ``last_modified`` make the request conditional. ``timeout``
    applies to every request (also with a caller's ``client``, which may be
    shared between threads; its own redirect setting is not used). With
    ``warc_dir`` every response is also written to a WARC file there, and
    ``Provenance.warc_path`` (on the result or on the error's provenance) is
    its path relative to ``warc_dir.parent``.

    ``user:password@`` in ``url`` is dropped (never sent, stored or logged);
    ``credentials`` are sent to ``url``'s own origin only. ``allow_private``
    (default: ``$ARCHIVIST_ALLOW_PRIVATE``) lets loopback and private hosts through.

    ``custody`` (collector, purpose, note as the sources file or command line
    gave them) becomes, with the tool versions, host, time zone, peer address,
    TLS certificate chain and the request as sent, ``Provenance.custody`` of
    the result and of an error's provenance (:mod:`flows.custody`).

    Raises :class:`FetchError` with ``retryable`` set for timeouts, connection
    errors, 429 and 5xx, unset for 4xx, too many redirects, redirect loops,
    oversized bodies, refused hosts and non-http(s) URLs. The size limit is
    enforced while streaming; ``first_byte_s`` bounds the wait for each hop's
    headers, ``max_seconds`` the whole fetch, ``max_redirects`` the hops.
    """
    url = strip_userinfo(url)
    _check_url(url, url)
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    allow = settings().fetch.allow_private if allow_private is None else allow_private
    own = client is None
    client = _client_for(client, timeout)
    exchanges: list[Exchange] = []
    bounds = _Bounds(timeout, max_bytes, max_seconds, max_redirects, first_byte_s, allow)
    try:
        try:
            hop = _follow(client, url, headers, bounds, exchanges, _secret_headers(credentials, url))
        except FetchError as exc:
            _failed(exc, url, warc_dir, exchanges)
            raise
        finally:
            if own:
                client.close()
        fetched = _result(url, hop, warc_dir, exchanges, etag, last_modified)
    except FetchError as exc:
        if isinstance(exc.provenance, Provenance):
            exc.provenance.custody = _custody(custody, exchanges)
        raise
    fetched.provenance.custody = _custody(custody, exchanges)
    return fetched


def _custody(given: dict[str, Any] | None, exchanges: list[Exchange]) -> dict[str, Any]:
    """The custody record of one fetch: who and why (``given``), the tools, and what the network showed."""
    record = custody_record.acquisition(given, tools=("httpx", "httpcore"))
    if exchanges:
        record["network"] = custody_record.network(exchanges)
    return record


def _result(url: str, hop: _Hop, warc_dir: Path | None, exchanges: list[Exchange], etag: str | None,
            last_modified: str | None) -> Fetched:
    """The last hop as a :class:`Fetched` (captured), or the FetchError its status calls for."""
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
    if hop.length_warning:
        prov.warnings.append(hop.length_warning)
    if status >= 400 or status < 200 or 300 <= status < 400:
        kind = "HTTP" if status >= 400 else "unexpected HTTP"
        wait = parse_retry_after(response.headers.get("retry-after")) if status in RETRY_AFTER_STATUSES else None
        raise FetchError(f"{url}: {kind} {status} {response.reason_phrase}".rstrip(), source=url,
                         retryable=status >= 500 or status == 429, status_code=status, data=hop.data,
                         provenance=prov, retry_after=wait)
    return Fetched(hop.data, prov)
