"""Writing HTTP exchanges as WARC files (warcio), one gzip WARC file per fetch.

Each fetch (with its redirect hops) becomes one file under the archive's
``warc`` folder: a ``warcinfo`` record, then per hop a ``request`` record and
its ``response`` record (linked by ``WARC-Concurrent-To``). The response keeps
the raw status line, the headers as sent and the body as received on the wire:
de-chunked by the HTTP client, but with any ``Content-Encoding`` (gzip) kept,
so the headers and body stay consistent and any WARC reader can replay it.
Because the body is stored de-chunked, a ``Transfer-Encoding: chunked`` header
is dropped and ``Content-Length`` set to the stored length in the WARC copy;
the record then carries ``WARC-Archivist-Headers-Adjusted`` saying what
changed. A body cut short (size limit, time-out, disconnect) is marked with the
standard ``WARC-Truncated`` field. Request records never hold secrets: the
values of ``Authorization``, ``Proxy-Authorization`` and ``Cookie`` are written
as ``[redacted]``.

Files are written atomically (temp file, fsync, link/rename, fsync of the
folder), so a crash never leaves a half-written WARC under its final name;
they are private to their owner (files 0600, the folders archivist creates 0700).
Not :func:`storage.blobs.write_private`: a capture never replaces another file
(``os.link`` refuses an existing name), which a plain atomic replace would.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import tempfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from storage.blobs import fsync_dir, make_private_dir

from flows.fetching.policy import redact_headers

SOFTWARE = "archivist"
NO_BODY_STATUSES = frozenset({204, 304}) | frozenset(range(100, 200))


@dataclass
class Exchange:
    """One HTTP request and the response to it, as seen on the wire."""

    url: str
    method: str
    target: str  # request target: path and query
    request_headers: list[tuple[str, str]]
    status: int
    reason: str
    http_version: str
    response_headers: list[tuple[str, str]]
    body: bytes = b""  # as received (after de-chunking, before content decoding)
    truncated: str | None = None  # WARC-Truncated reason: "length", "time", "disconnect"
    ip_address: str | None = None
    tls: dict | None = None  # the TLS session and certificate chain (flows.fetching.tls), not written to the WARC
    requested_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


def _warc_date(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _response_headers(ex: Exchange) -> tuple[list[tuple[str, str]], list[str]]:
    """The response headers for the WARC copy and a note of what was adjusted."""
    headers = list(ex.response_headers)
    notes: list[str] = []
    chunked = [h for h in headers if h[0].lower() == "transfer-encoding"]
    if chunked:
        headers = [h for h in headers if h[0].lower() != "transfer-encoding"]
        notes.append("Transfer-Encoding: " + ", ".join(v for _, v in chunked)
                     + " removed (body stored de-chunked)")
    lengths = [v for k, v in headers if k.lower() == "content-length"]
    if ex.status not in NO_BODY_STATUSES and lengths != [str(len(ex.body))]:
        headers = [h for h in headers if h[0].lower() != "content-length"]
        headers.append(("Content-Length", str(len(ex.body))))
        notes.append(f"Content-Length {', '.join(lengths) or '(none)'} set to the {len(ex.body)} bytes stored")
    return headers, notes


def _gzip_member(data: bytes) -> bytes:
    """One gzip member: level 6, or stored (level 0) when a sample shows the bytes do not compress.

    PDFs, images and gzip bodies barely shrink, and deflating them costs
    ~50 ms per MiB; stored blocks keep the file a valid ``.warc.gz`` for free.
    """
    sample = data[:65536]
    level = 6
    if len(sample) >= 4096:
        probe = zlib.compressobj(1)
        if len(probe.compress(sample) + probe.flush()) > 0.9 * len(sample):
            level = 0
    comp = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    return comp.compress(data) + comp.flush()


class _RecordGzipWriter:
    """warcio's writer, but each record is compressed as its own gzip member with :func:`_gzip_member`."""

    def __init__(self, out: io.BytesIO):
        self.out = out
        self.plain = io.BytesIO()
        self.writer = WARCWriter(self.plain, gzip=False, warc_version="1.1")

    def __getattr__(self, name: str):
        return getattr(self.writer, name)

    def write_record(self, record) -> None:  # noqa: ANN001 - warcio's record type
        self.plain.seek(0)
        self.plain.truncate()
        self.writer.write_record(record)
        self.out.write(_gzip_member(self.plain.getvalue()))


def warc_bytes(exchanges: list[Exchange], filename: str) -> bytes:
    """The gzip WARC file (one gzip member per record) holding ``exchanges``, in memory."""
    buf = io.BytesIO()
    writer = _RecordGzipWriter(buf)
    writer.write_record(writer.create_warcinfo_record(filename, {
        "software": SOFTWARE, "format": "WARC File Format 1.1",
        "description": "archivist capture of one fetch (request and response per redirect hop)",
    }))
    for ex in exchanges:
        date = _warc_date(ex.requested_at)
        headers, notes = _response_headers(ex)
        http = StatusAndHeaders(f"{ex.status} {ex.reason}".strip(), headers, protocol=ex.http_version)
        extra = {"WARC-Date": date}
        if ex.ip_address:
            extra["WARC-IP-Address"] = ex.ip_address
        if ex.truncated:
            extra["WARC-Truncated"] = ex.truncated
        if notes:
            extra["WARC-Archivist-Headers-Adjusted"] = "; ".join(notes)
        response = writer.create_warc_record(ex.url, "response", payload=io.BytesIO(ex.body), length=len(ex.body),
                                             http_headers=http, warc_headers_dict=extra)
        req_http = StatusAndHeaders(f"{ex.method} {ex.target} {ex.http_version}", redact_headers(ex.request_headers),
                                    is_http_request=True)
        req_extra = {"WARC-Date": date, "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID")}
        request = writer.create_warc_record(ex.url, "request", payload=io.BytesIO(b""), length=0,
                                            http_headers=req_http, warc_headers_dict=req_extra)
        writer.write_record(request)
        writer.write_record(response)
    return buf.getvalue()


def warc_name(when: datetime, sha256_hex: str) -> str:
    """``YYYY/MM/DD/<17-digit timestamp>-<sha prefix>-<token>.warc.gz``."""
    when = when.astimezone(timezone.utc)
    stamp = when.strftime("%Y%m%d%H%M%S") + f"{when.microsecond // 1000:03d}"
    return f"{when:%Y/%m/%d}/{stamp}-{sha256_hex[:12]}-{secrets.token_hex(3)}.warc.gz"


def write_warc(warc_dir: Path, exchanges: list[Exchange], sha256_hex: str | None = None) -> Path:
    """Write ``exchanges`` as one new gzip WARC file under ``warc_dir``; return its path.

    ``sha256_hex`` names the file (the SHA-256 of the final body, so the file
    is easy to match to the archived original); by default the SHA-256 of the
    last response body as captured.
    """
    if not exchanges:
        raise ValueError("no exchanges to write")
    sha = sha256_hex or hashlib.sha256(exchanges[-1].body).hexdigest()
    rel = warc_name(exchanges[0].requested_at, sha)
    final = Path(warc_dir) / rel
    make_private_dir(final.parent)  # 0700 folders; mkstemp makes the file 0600
    data = warc_bytes(exchanges, final.name)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".warc.gz", dir=final.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, final)  # never replaces an existing capture
        except FileExistsError:
            final = final.with_name(final.name.replace(".warc.gz", f"-{secrets.token_hex(4)}.warc.gz"))
            os.replace(tmp, final)
        except OSError:  # filesystems without hard links
            os.replace(tmp, final)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    fsync_dir(final.parent)
    return final
