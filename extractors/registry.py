"""Choosing the extractor by content, after alephdata/ingest-file's manager.

Every registered extractor scores the bytes (magic bytes and content first,
then declared media type, then extension); the highest score wins, ties go to
the earlier-registered extractor, and nothing scoring above zero raises
:class:`UnsupportedFormat`.
"""

from __future__ import annotations

import logging
import time
from functools import lru_cache

from extractors.base import Extractor
from extractors.finish import finish
from extractors.errors import CorruptDocument, ExtractionError, ResourceLimitExceeded, UnsupportedFormat
from extractors.record import ExtractedDocument, Hints

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def all_extractors() -> tuple[Extractor, ...]:
    """One instance of every format module's extractor, most specific first."""
    from extractors.html.extractor import HtmlExtractor
    from extractors.markdown import MarkdownExtractor
    from extractors.pdf.extractor import PdfExtractor
    from extractors.plaintext import PlainTextExtractor
    from extractors.wikitext.extractor import WikitextExtractor

    return (PdfExtractor(), HtmlExtractor(), WikitextExtractor(), MarkdownExtractor(), PlainTextExtractor())


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
    finish(record, extractor.name)
    log.debug("%s extracted %d bytes in %.3fs", extractor.name, len(data), time.perf_counter() - started)
    return record
