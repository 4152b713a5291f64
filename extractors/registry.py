"""Choosing the extractor by content, after alephdata/ingest-file's manager.

Every registered extractor scores the bytes (magic bytes and content first,
then declared media type, then extension); the highest score wins, ties go to
the earlier-registered extractor, and nothing scoring above zero raises
:class:`UnsupportedFormat`.

:func:`extract` also refuses input over ``hints.limits.max_input_bytes`` and
reads a gzip file (``report.html.gz``, or a page saved compressed) by
decompressing it first, never producing more than ``max_input_bytes`` (a
decompression bomb stops there, :class:`ResourceLimitExceeded`); the record
says so in a warning and in ``metadata.extra["compression"]``.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import zlib
from functools import lru_cache

from extractors.base import Extractor
from extractors.finish import finish
from extractors.errors import CorruptDocument, ExtractionError, ResourceLimitExceeded, UnsupportedFormat
from extractors.record import ExtractedDocument, Hints

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def all_extractors() -> tuple[Extractor, ...]:
    """One instance of every format module's extractor, most specific first."""
    from extractors.containers.tar import TarExtractor
    from extractors.containers.zip import ZipExtractor
    from extractors.email.extractor import EmailExtractor, MboxExtractor
    from extractors.html.extractor import HtmlExtractor
    from extractors.markdown import MarkdownExtractor
    from extractors.ocr.image import ImageExtractor
    from extractors.office.docx import DocxExtractor
    from extractors.office.odt import OdtExtractor
    from extractors.pdf.extractor import PdfExtractor
    from extractors.plaintext import PlainTextExtractor
    from extractors.wikitext.extractor import WikitextExtractor

    # DOCX and ODT before ZIP: they are ZIP packages, and score higher when their parts are there.
    return (PdfExtractor(), DocxExtractor(), OdtExtractor(), ImageExtractor(), ZipExtractor(), TarExtractor(), MboxExtractor(), EmailExtractor(), HtmlExtractor(),
            WikitextExtractor(), MarkdownExtractor(), PlainTextExtractor())


def choose(data: bytes, hints: Hints | None = None) -> Extractor:
    """The extractor whose score for ``data`` is highest."""
    hints = hints or Hints()
    best: Extractor | None = None
    best_score = 0
    for extractor in all_extractors():
        score = extractor.score(data, hints)
        log.debug("%s scores %d", extractor.name, score)
        if score > best_score:
            best, best_score = extractor, score
    if best is None:
        head = data[:16]
        raise UnsupportedFormat(
            f"no extractor recognises these {len(data)} bytes (start {head!r}, "
            f"declared type {hints.media_type!r}, name {hints.filename!r})"
        )
    return best


def extract(data: bytes, hints: Hints | None = None) -> ExtractedDocument:
    """Extract one record from ``data``; the only entry point callers need.

    The one error boundary of the package: errors from third-party libraries
    that escape a format module are wrapped here (``raise ... from``), so
    callers only ever see :class:`ExtractionError`: running out of memory is
    :class:`ResourceLimitExceeded`, anything else :class:`CorruptDocument`.
    Formats raise their own :mod:`extractors.errors` for what they detect.
    """
    hints = hints or Hints()
    limit = hints.limits.max_input_bytes
    if len(data) > limit:
        raise ResourceLimitExceeded(f"{len(data):,} bytes exceeds the input limit of {limit:,} bytes")
    compressed_size = len(data)
    notes: list[str] = []
    if data.startswith(GZIP_MAGIC):
        data, hints, notes = gunzip(data, hints)
    extractor = choose(data, hints)
    started = time.perf_counter()
    try:
        record = extractor.extract(data, hints)
    except ExtractionError:
        raise
    except RecursionError as exc:
        raise CorruptDocument(f"{extractor.name}: document nested too deeply to parse") from exc
    except MemoryError as exc:
        raise ResourceLimitExceeded(f"{extractor.name}: document too large to parse in memory") from exc
    except Exception as exc:  # noqa: BLE001 - the extractor boundary wraps everything
        raise CorruptDocument(f"{extractor.name}: {type(exc).__name__}: {exc}") from exc
    if notes:
        record.warnings[:0] = notes
        record.metadata.extra.update(compression="gzip", compressed_bytes=compressed_size,
                                     decompressed_bytes=len(data))
    finish(record, extractor.name)
    log.debug("%s extracted %d bytes in %.3fs", extractor.name, len(data), time.perf_counter() - started)
    return record


GZIP_MAGIC = b"\x1f\x8b\x08"
GZIP_MEDIA_TYPES = frozenset({"application/gzip", "application/x-gzip", "application/gzip-compressed"})
_CHUNK = 1 << 16


def gunzip(data: bytes, hints: Hints) -> tuple[bytes, Hints, list[str]]:
    """Decompress gzip ``data`` (every member) within ``hints.limits.max_input_bytes``.

    Returns the contents, hints for them (a ``.gz`` suffix and a gzip media
    type dropped) and the warnings to record. Decompression runs in bounded
    steps, so a bomb costs at most the limit in memory before it is refused.
    A stream cut short keeps what decompressed, with a warning.
    """
    limit = hints.limits.max_input_bytes
    out = bytearray()
    warnings: list[str] = []
    rest = data
    members = 0
    while rest.startswith(GZIP_MAGIC):
        members += 1
        rest, complete = _gunzip_member(rest, out, limit)
        if not complete:
            warnings.append(f"gzip data cut short: extracted the {len(out):,} bytes that decompressed")
            break
    if rest.strip(b"\x00"):
        warnings.append(f"{len(rest):,} bytes after the gzip data ignored")
    if not out:
        raise CorruptDocument(f"gzip: {len(data):,} bytes decompress to nothing")
    warnings.insert(0, f"decompressed from gzip ({members} member(s)): {len(data):,} bytes to {len(out):,}")
    filename = hints.filename
    if filename and filename.lower().endswith((".gz", ".gzip")):
        filename = filename.rsplit(".", 1)[0]
    media_type = None if (hints.media_type or "").lower() in GZIP_MEDIA_TYPES else hints.media_type
    return bytes(out), dataclasses.replace(hints, filename=filename, media_type=media_type), warnings


def _gunzip_member(data: bytes, out: bytearray, limit: int) -> tuple[bytes, bool]:
    """Decompress the gzip member at the start of ``data`` into ``out``.

    Returns the bytes after the member and whether the member was complete.
    Output is asked for in pieces no larger than the room left under ``limit``;
    one byte more raises :class:`ResourceLimitExceeded`.
    """
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    pos = 0
    try:
        while not inflater.eof:
            if inflater.unconsumed_tail:
                chunk = inflater.unconsumed_tail
            elif pos < len(data):
                chunk, pos = data[pos : pos + _CHUNK], pos + _CHUNK
            else:
                return b"", False  # the input ended inside the member
            out += inflater.decompress(chunk, limit + 1 - len(out))
            if len(out) > limit:
                raise ResourceLimitExceeded(
                    f"gzip: decompresses to more than the input limit of {limit:,} bytes "
                    f"from {len(data):,} compressed bytes (a decompression bomb?)")
    except zlib.error as exc:
        if not out:
            raise CorruptDocument(f"gzip: {exc}") from exc
        return b"", False
    return inflater.unused_data + data[pos:], True
