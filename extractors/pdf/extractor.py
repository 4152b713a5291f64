"""PDF: layout-aware text, running heads removed, footnotes linked, metadata.

Built on pypdf's visitor callbacks (:mod:`extractors.pdf.layout`): each page's
text runs with their position, size and font become lines, lines become
paragraphs. Running headers, footers and page numbers are found by repetition
across pages (:mod:`extractors.pdf.running`), footnote markers and note bodies
by geometry (:mod:`extractors.pdf.footnotes`), metadata from the information
dictionary, XMP and the catalog (:mod:`extractors.pdf.metadata`).

Every document runs under pypdf's resource limits and a time box checked
between pages and inside the visitor callbacks; damaged files either raise an
:class:`~extractors.errors.ExtractionError` or come back with warnings.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import threading
import time
from collections.abc import Iterator

from pypdf import PasswordType, PdfReader, apply_configuration
from pypdf.errors import DependencyError, EmptyFileError, LimitReachedError, PyPdfError

from extractors import assembly
from extractors.base import MAGIC, Extractor
from extractors.errors import CorruptDocument, EncryptedDocument, ExtractionError, ResourceLimitExceeded
from extractors.ocr.pdf_pages import PageOcr
from extractors.ocr.tesseract import DEFAULT_LANGUAGES
from extractors.pdf.footnotes import (
    Note,
    collect_notes,
    find_zone,
    found_labels,
    line_pieces,
    next_label,
    note_start,
    set_like_last,
    unfinished,
)
from extractors.pdf.layout import (
    DeadlineExceeded,
    Line,
    PageCollector,
    PageLayout,
    breaks_paragraph,
    build_lines,
    document_columns,
    is_bold,
    join_lines,
    line_spacing,
    logical_order,
    reading_order,
    repair_urls,
)
from extractors.pdf.links import Destinations, goto_links, link_at, link_offset, linked_note, uri_links
from extractors.pdf.metadata import is_junk_title, read_metadata
from extractors.pdf.running import strip_running
from extractors.record import ExtractedDocument, Hints, Metadata
from extractors.text.markers import NOTE_LABEL_RE, strip_markers

log = logging.getLogger(__name__)

# Tighter than pypdf's defaults: a text extractor needs no 75 MB streams.
PYPDF_LIMITS = {
    "maximum_declared_stream_length": 40_000_000,
    "zlib_maximum_output_length": 40_000_000,
    "lzw_maximum_output_length": 40_000_000,
    "run_length_maximum_output_length": 40_000_000,
    "array_based_stream_maximum_output_length": 40_000_000,
    "stream_decoding_work_maximum_length": 160_000_000,
    "xform_maximum_invocations_per_extraction": 2_000,
    # Parsing a content stream runs before any callback can check the clock;
    # 600,000 tokens parse in about two seconds, which bounds the overshoot.
    "stream_parsing_work_maximum_count": 600_000,
}
_SENTENCE_END_RE = re.compile(r"[.!?:;][\"'”’)\]]*$")


class _WarningCapture(logging.Handler):
    """Collects pypdf's repair warnings raised by this thread."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread and len(self.messages) < 50:
            message = record.getMessage().strip()
            if message not in self.messages:
                self.messages.append(message)


@contextlib.contextmanager
def _pypdf_warnings() -> Iterator[_WarningCapture]:
    handler = _WarningCapture()
    logger = logging.getLogger("pypdf")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


class PdfExtractor(Extractor):
    """PDF documents, through pypdf."""

    name = "pdf"
    media_type = "application/pdf"
    media_types = frozenset({"application/pdf", "application/x-pdf", "application/acrobat"})
    extensions = frozenset({"pdf"})
    # The language of a PDF is what its catalog (/Lang) or XMP metadata declares, never a guess.
    guesses_language = False

    def __init__(self, time_limit: float | None = None, max_bytes: int | None = None,
                 max_pages: int = 10_000, ocr_languages: str | None = DEFAULT_LANGUAGES) -> None:
        """``time_limit`` / ``max_bytes`` override ``hints.limits`` (``time_limit_s``,
        ``max_input_bytes``) when given; by default the hints' limits apply. Pages without a
        text layer that paint an image are OCRed in ``ocr_languages`` (None: no OCR), within
        a time box of their own (:mod:`extractors.ocr.pdf_pages`)."""
        self.ocr_languages = ocr_languages
        self.time_limit = time_limit
        self.max_bytes = max_bytes
        self.max_pages = max_pages

    def content_score(self, data: bytes, hints: Hints) -> int:
        """MAGIC when ``%PDF-`` occurs in the first 1024 bytes."""
        return MAGIC if data.find(b"%PDF-", 0, 1024) >= 0 else 0

    def read(self, data: bytes, hints: Hints) -> ExtractedDocument:
        """Extract one PDF, or raise an ``ExtractionError`` saying why not."""
        time_limit = hints.limits.time_limit_s if self.time_limit is None else self.time_limit
        max_bytes = hints.limits.max_input_bytes if self.max_bytes is None else self.max_bytes
        started = time.monotonic()
        deadline = started + time_limit
        warnings: list[str] = []
        if not data:
            raise CorruptDocument("pdf: empty file (0 bytes)")
        offset = data.find(b"%PDF-", 0, 1024)
        if offset < 0:
            raise CorruptDocument(f"pdf: not a PDF (no %PDF- header in the first 1024 bytes; starts {data[:8]!r})")
        if offset:
            warnings.append(f"skipped {offset} bytes of junk before the %PDF- header")
        if len(data) > max_bytes:
            raise ResourceLimitExceeded(f"pdf: {len(data)} bytes exceeds the limit of {max_bytes}")
        with _pypdf_warnings() as captured, apply_configuration(**PYPDF_LIMITS):
            reader = self._open(data[offset:], warnings)
            try:
                metadata = read_metadata(reader, warnings)
            except LimitReachedError as exc:
                warnings.append(f"metadata skipped: {exc}")
                metadata = Metadata()
            ocr = PageOcr(data[offset:], self.ocr_languages, time_limit) if self.ocr_languages else None
            pages = self._pages(reader, deadline, time_limit, warnings, ocr)
            document_columns(pages)
            if ocr is not None:
                ocr.report(warnings, metadata.extra)
        for message in captured.messages[:20]:
            warnings.append(f"pypdf repaired: {message}")
        doc = self._assemble(pages, metadata, hints, warnings)
        log.debug("pdf: %d pages in %.3fs", len(pages), time.monotonic() - started)
        return doc

    # -- opening ----------------------------------------------------------

    def _open(self, data: bytes, warnings: list[str]) -> PdfReader:
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
        except EmptyFileError as exc:
            raise CorruptDocument(f"pdf: empty document: {exc}") from exc
        except LimitReachedError as exc:
            raise ResourceLimitExceeded(f"pdf: resource limit reached while opening: {exc}") from exc
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
            raise CorruptDocument(f"pdf: cannot parse ({type(exc).__name__}: {exc})") from exc
        except RecursionError as exc:
            raise CorruptDocument("pdf: object structure nested too deeply") from exc
        if reader.is_encrypted:
            try:
                result = reader.decrypt("")
            except DependencyError as exc:
                raise EncryptedDocument(f"pdf: encrypted and the decryption backend is missing: {exc}") from exc
            except Exception as exc:  # noqa: BLE001 - any failure to decrypt means encrypted
                raise EncryptedDocument(f"pdf: encrypted and cannot be decrypted ({exc})") from exc
            if result == PasswordType.NOT_DECRYPTED:
                raise EncryptedDocument("pdf: encrypted with a user password; cannot open without it")
            warnings.append("encrypted with an empty user password; opened without a password")
        return reader

    # -- pages ------------------------------------------------------------

    def _pages(self, reader: PdfReader, deadline: float, time_limit: float,
               warnings: list[str], ocr: PageOcr | None = None) -> list[PageLayout]:
        try:
            count = len(reader.pages)
        except LimitReachedError as exc:
            raise ResourceLimitExceeded(f"pdf: page tree exceeds limits: {exc}") from exc
        except Exception as exc:  # noqa: BLE001 - any page-tree failure is corruption
            raise CorruptDocument(f"pdf: page tree unreadable ({type(exc).__name__}: {exc})") from exc
        if count == 0:
            raise CorruptDocument("pdf: document has no pages")
        if count > self.max_pages:
            raise ResourceLimitExceeded(f"pdf: {count} pages exceeds the limit of {self.max_pages}")
        pages: list[PageLayout] = []
        destinations = Destinations(reader)
        limited: list[tuple[str, Exception]] = []
        failed: list[tuple[str, Exception]] = []
        for index in range(count):
            page_deadline = deadline + (ocr.seconds if ocr else 0.0)  # OCR has its own time box
            if time.monotonic() > page_deadline:
                raise ResourceLimitExceeded(
                    f"pdf: time limit of {time_limit:g}s exceeded before page {index + 1} of {count}")
            layout = self._page(reader, index, page_deadline, time_limit, limited, failed, ocr, destinations)
            if layout is not None:
                pages.append(layout)
        for message, _ in limited + failed:
            warnings.append(message)
        if not pages:
            if limited:
                raise ResourceLimitExceeded(f"pdf: no page could be read within limits ({limited[0][0]})") \
                    from limited[0][1]
            if failed:
                raise CorruptDocument(f"pdf: no page could be read ({failed[0][0]})") from failed[0][1]
            raise CorruptDocument("pdf: no page could be read")
        return pages

    def _page(self, reader: PdfReader, index: int, deadline: float, time_limit: float,
              limited: list[tuple[str, Exception]], failed: list[tuple[str, Exception]],
              ocr: PageOcr | None = None, destinations: Destinations | None = None) -> PageLayout | None:
        collector = PageCollector(deadline)
        number = index + 1
        try:
            page = reader.pages[index]
            page.extract_text(orientations=(0,), visitor_text=collector.text,
                              visitor_operand_before=collector.before)
            collector.check()
        except DeadlineExceeded as exc:
            raise ResourceLimitExceeded(
                f"pdf: time limit of {time_limit:g}s exceeded on page {number}") from exc
        except LimitReachedError as exc:
            limited.append((f"page {number} skipped: resource limit reached ({exc})", exc))
            return None
        except MemoryError as exc:
            raise ResourceLimitExceeded(f"pdf: out of memory on page {number}") from exc
        except RecursionError as exc:
            failed.append((f"page {number} skipped: content nested too deeply", exc))
            return None
        except ExtractionError:
            raise
        except Exception as exc:  # noqa: BLE001 - one bad page must not sink the document
            failed.append((f"page {number} skipped: {type(exc).__name__}: {exc}", exc))
            return None
        try:
            box = page.mediabox
            width, height, bottom = float(box.width), float(box.height), float(box.bottom)
        except Exception:  # noqa: BLE001 - fall back to A4
            width, height, bottom = 595.0, 842.0, 0.0
        runs = collector.runs
        if ocr is not None and not any(run.text.strip() for run in runs):
            runs = ocr.runs(page, number, width, height, bottom) or runs  # a scan: no text layer
        lines = reading_order(build_lines(runs), width)
        return PageLayout(number, width, height, bottom, lines=lines, rules=collector.rules, links=uri_links(page),
                          goto=goto_links(page, destinations) if destinations is not None else [])

    # -- assembly ---------------------------------------------------------

    def _assemble(self, pages: list[PageLayout], metadata: Metadata, hints: Hints,
                  warnings: list[str]) -> ExtractedDocument:
        body_size = _body_size(pages)
        logical_order(pages)
        page_info = strip_running(pages, warnings)
        for page in pages:
            for line in page.lines:
                line.pieces = line_pieces(line)
            _orphan_markers(page, body_size)
        spacing = line_spacing(pages, body_size)

        notes: list[Note] = []
        cited: set[str] = set()
        bodies: dict[int, list[Line]] = {}
        for page in pages:
            for line in page.lines:
                cited.update(_inner_markers(line))
            bodies[page.number] = []
            for column in _columns(page):
                expected = next_label(notes)
                zone, under_rule = find_zone(column, body_size, spacing, cited, bool(notes), expected,
                                             found_labels(notes), unfinished(notes),
                                             set_like_last(notes, column.lines))
                while not notes and zone < len(column.lines) and \
                        note_start(column.lines[zone], body_size, under_rule) is None:
                    zone += 1  # nothing to continue: these lines are body text
                collect_notes(column, zone, body_size, under_rule, notes, cited)
                bodies[page.number].extend(column.lines[:zone])

        notes = _dedupe_notes(notes, warnings)
        links = {page.number: [uri for _, uri in page.links] for page in pages}
        ties = _MarkerTies(pages, notes, bodies)
        fallback = _plain_number_markers(pages, bodies, notes)

        title_fallback = _first_page_title(pages, bodies, body_size)
        if is_junk_title(metadata.title, hints.filename):
            if metadata.title:
                metadata.extra["info_title"] = metadata.title
                log.debug("pdf: metadata title %r looks like a placeholder", metadata.title)
            metadata.title = title_fallback
        metadata.page_count = len(page_info) if page_info else None
        metadata.extra["pages"] = page_info

        paragraphs, marker_pages = _paragraphs(pages, bodies, ties, spacing)
        text, markers = assembly.assemble(paragraphs)
        footnotes = assembly.link_footnotes(
            text, markers, notes=[(n.key, repair_urls(n.text, links.get(n.page, []) + links.get(n.page + 1, [])))
                                  for n in notes],
            pages={n.key: n.page for n in notes}, marker_pages=marker_pages)
        deferred = {n.key for n in notes if n.deferred}
        for note in footnotes:
            note.confidence = ties.confidence(note.label, bool(note.markers), note.label in deferred,
                                              note.label.split("~")[0] in fallback)
            note.label = note.label.split("~")[0]
            if not note.markers:
                warnings.append(f"footnote {note.label} (page {note.page}) has no marker in the text")
        if ties.contradicted:
            warnings.append(f"{len(ties.contradicted)} footnote marker(s) link to a note with another label; "
                            f"tied by label, with a low confidence")
        return ExtractedDocument(format="pdf", media_type=self.media_type, text=text, metadata=metadata,
                                 footnotes=footnotes, warnings=warnings, extractor=self.name)


def _columns(page: PageLayout) -> list[PageLayout]:
    """The page's columns in reading order, each as a page of its own lines and rules.

    Notes are set at the foot of each column on multi-column pages.
    """
    groups: list[list[Line]] = []
    for line in page.lines:
        if groups and groups[-1][-1].column == line.column:
            groups[-1].append(line)
        else:
            groups.append([line])
    if len(groups) <= 1:
        return [page]
    lefts = sorted({min(ln.x0 for ln in g) for g in groups})
    out = []
    for group in groups:
        left = min(ln.x0 for ln in group)
        right = next((x for x in lefts if x > left + 1), page.width + 1)
        rules = [r for r in page.rules if left - 12 <= r[1] < right - 12]
        out.append(PageLayout(page.number, page.width, page.height, page.bottom, lines=group, rules=rules,
                              links=page.links))
    return out


def _body_size(pages: list[PageLayout]) -> float:
    """The size most of the text is set in, counted on the upper part of the pages.

    Notes sit at the bottom and can hold more characters than the body text
    (long notes, short pages): the upper 55 % of each page is body text on
    nearly every page, so it decides; the whole page only when it is empty.
    Where notes fill most of the pages (law reviews, long notes), the lines
    that carry raised markers after their text show the body size: when most
    of their text is set larger than the size found, that larger size is it.
    """
    found = 10.0
    for upper in (True, False):
        weights: dict[float, int] = {}
        for page in pages:
            for line in page.lines:
                if upper and line.y < page.bottom + page.height * 0.45:
                    continue
                for run in line.runs:
                    key = round(run.size * 2) / 2
                    weights[key] = weights.get(key, 0) + len(run.text.strip())
        if weights:
            found = max(weights.items(), key=lambda kv: kv[1])[0]
            break
    marked: dict[float, int] = {}
    for page in pages:
        for line in page.lines:
            texts = [run for run in line.runs if run.text.strip()]
            if any(line.is_superscript(run) for run in texts[1:]):
                key = round(line.size * 2) / 2
                marked[key] = marked.get(key, 0) + len(line.text)
    if marked:
        size, weight = max(marked.items(), key=lambda kv: kv[1])
        if size > found * 1.05 and weight * 2 > sum(marked.values()):
            return size
    return found


def _orphan_markers(page: PageLayout, body_size: float) -> None:
    """A marker the line breaking left alone on a line (``…the end.`` / ``¹⁸``) goes back to the end
    of the body line above it."""
    keep: list[Line] = []
    for line in page.lines:
        prev = keep[-1] if keep else None
        label = line.text
        if prev is not None and NOTE_LABEL_RE.match(label) and label[:1].isdigit() \
                and line.size <= body_size * 0.8 and prev.size >= body_size * 0.95 and prev.column == line.column \
                and 0 < prev.y - line.y <= prev.size * 1.8:
            prev.pieces.append(("sup", label))
            prev.sup_xy.append((line.runs[0].x, line.y))
            continue
        keep.append(line)
    page.lines = keep


def _inner_markers(line: Line) -> list[str]:
    """Superscript labels of a line that do not open it (those open notes)."""
    seen_text = False
    out = []
    for kind, value in line.pieces:
        if kind == "sup" and seen_text:
            out.append(value)
        elif value.strip():
            seen_text = True
    return out


def _dedupe_notes(notes: list[Note], warnings: list[str]) -> list[Note]:
    """Give every note its key; merge a label that repeats within one numbering.

    Numbering that starts again at 1 on a later page (notes numbered per page
    or per chapter) opens a new sequence: its notes get keys ``"label~n"``.
    """
    seen: dict[str, Note] = {}
    sequence = 0
    out = []
    for note in notes:
        first = seen.get(_key("1", sequence))
        if note.label == "1" and first is not None and note.page > first.page:
            sequence += 1
        note.key = _key(note.label, sequence)
        if note.key in seen:
            warnings.append(f"footnote label {note.label} repeats on page {note.page}; the later note was "
                            f"appended to the earlier one")
            seen[note.key].parts.extend(note.parts)
            continue
        seen[note.key] = note
        out.append(note)
    if sequence:
        warnings.append(f"footnote numbering starts again {sequence} time(s); markers are tied to the notes "
                        f"of their own page")
    return out


def _key(label: str, sequence: int) -> str:
    return label if sequence == 0 else f"{label}~{sequence}"


def _note_keys(notes: list[Note]) -> dict[str, list[tuple[int, str]]]:
    """For each printed label, the ``(page, key)`` of its notes."""
    out: dict[str, list[tuple[int, str]]] = {}
    for note in notes:
        out.setdefault(note.label, []).append((note.page, note.key))
    return out


def _key_for(keys: dict[str, list[tuple[int, str]]], label: str, page: int) -> str | None:
    """The note a marker on ``page`` points to: its own page's, else the next, else the nearest."""
    options = keys.get(label)
    if not options:
        return None
    if len(options) == 1:
        return options[0][1]
    return min(options, key=lambda o: (o[0] < page, abs(o[0] - page)))[1]


def _plain_number_markers(pages: list[PageLayout], bodies: dict[int, list[Line]],
                          notes: list[Note]) -> set[str]:
    """Turn plain-text numbers that follow a word or sentence into markers for uncited notes."""
    cited = {v for lines in bodies.values() for ln in lines for v in _inner_markers(ln)}
    found: set[str] = set()
    for note in notes:
        if note.label in cited or not note.label.isdigit():
            continue
        pattern = re.compile(r"(?:(?<=[a-z][a-z])|(?<=[.,;:!?)\]\"”’]))" + note.label + r"(?=[\s.,;:)]|$)")
        for page_no in (note.page, note.page - 1):
            for line in bodies.get(page_no, []):
                for i, (kind, value) in enumerate(line.pieces):
                    m = pattern.search(value) if kind == "text" else None
                    if m:
                        line.pieces[i : i + 1] = [("text", value[: m.start()]), ("num", note.label),
                                                  ("text", value[m.end():])]
                        found.add(note.label)
                        break
                if note.label in found:
                    break
            if note.label in found:
                break
    return found


def _first_page_title(pages: list[PageLayout], bodies: dict[int, list[Line]], body_size: float) -> str | None:
    if not pages:
        return None
    lines = bodies.get(pages[0].number, [])
    if not lines:
        return None
    biggest = max(ln.size for ln in lines)
    if biggest < body_size * 1.15:
        return None
    picked: list[str] = []
    for line in lines:
        if abs(line.size - biggest) <= 0.5:
            picked.append("".join(v for k, v in line.pieces if k == "text"))
        elif picked:
            break
    title = re.sub(r"\s+", " ", join_lines(picked)).strip()
    return title[:300] or None


class _MarkerTies:
    """Ties body markers to notes, and says how sure each tie is.

    A marker is tied to the note with its label (on its own page, else the
    next, else the nearest: :func:`_key_for`). Where the marker carries an
    internal link (:mod:`extractors.pdf.links`) and a note with its label
    opens at the link's destination, the link confirms the tie (and picks the
    note when labels repeat); a link to a note with another label contradicts it.
    """

    def __init__(self, pages: list[PageLayout], notes: list[Note], bodies: dict[int, list[Line]]) -> None:
        self.keys = _note_keys(notes)
        self.goto = {page.number: page.goto for page in pages if page.goto}
        self.starts = [(n.page, n.x, n.y, n.label, n.key) for n in notes]
        self.confirmed: set[str] = set()
        self.contradicted: set[str] = set()
        self.offset = 0.0
        if self.goto:
            self.offset = link_offset([(target, label) for page, label, xy in _body_sups(bodies)
                                       if (target := link_at(self.goto.get(page, []), *xy)) is not None],
                                      self.starts)

    def key(self, label: str, page: int, xy: tuple[float, float] | None) -> str | None:
        """The key of the note the marker ``label`` set at ``xy`` on ``page`` points to."""
        key = _key_for(self.keys, label, page)
        links = self.goto.get(page)
        if xy is not None and links:
            target = link_at(links, *xy)
            if target is not None:
                linked, agrees = linked_note(target, label, self.starts, self.offset)
                if linked is not None:
                    self.confirmed.add(linked)
                    return linked
                if not agrees and key is not None:
                    self.contradicted.add(key)
        return key

    def confidence(self, key: str, marked: bool, deferred: bool, plain_number: bool) -> float:
        """1.0 when a link confirms the note's marker; lower the more of the tie is inferred.

        Without links, a raised marker and a note in the label sequence give
        0.95; a note found out of sequence, or in a numbering that starts again
        (tied by page), 0.9; a marker read from a plain number 0.8, as is any
        unconfirmed note of a document whose other notes are linked; a marker
        whose link points at another note 0.6; a note without any marker 0.5.
        """
        if not marked:
            return 0.5
        if key in self.contradicted:
            return 0.6
        if key in self.confirmed:
            return 1.0
        if plain_number or self.confirmed:
            return 0.8
        if deferred or "~" in key:
            return 0.9
        return 0.95


def _body_sups(bodies: dict[int, list[Line]]) -> Iterator[tuple[int, str, tuple[float, float]]]:
    """``(page, label, position)`` of every raised marker in the body text."""
    for page, lines in bodies.items():
        for line in lines:
            sups = [value for kind, value in line.pieces if kind == "sup"]
            yield from ((page, label, xy) for label, xy in zip(sups, line.sup_xy))


def _render(line: Line, ties: _MarkerTies, page: int, marker_pages: list[int]) -> str:
    out = []
    sups = 0
    for kind, value in line.pieces:
        if kind == "text":
            out.append(value)
            continue
        xy = None
        if kind == "sup":
            xy = line.sup_xy[sups] if sups < len(line.sup_xy) else None
            sups += 1
        key = ties.key(value, page, xy)
        if key is not None:
            out.append(assembly.marker(key))
            marker_pages.append(page)
        else:
            out.append(value)
    return "".join(out)


def _paragraphs(pages: list[PageLayout], bodies: dict[int, list[Line]], ties: _MarkerTies,
                spacing: float) -> tuple[list[str], list[int]]:
    paragraphs: list[list[str]] = []
    para_pages: list[list[int]] = []
    prev: Line | None = None
    prev_page = None
    for page in pages:
        lines = bodies.get(page.number, [])
        lefts: dict[int, float] = {}
        for line in lines:
            lefts[line.column] = min(lefts.get(line.column, line.x0), line.x0)
        for line in lines:
            pages_here: list[int] = []
            text = _render(line, ties, page.number, pages_here)
            if prev is None:
                new = True
            elif prev_page != page.number or line.y > prev.y + 1 or line.column != prev.column:
                new = not _continues(paragraphs[-1][-1], prev, line, text)
            else:
                new = breaks_paragraph(prev, line, spacing, lefts[line.column])
            if new:
                paragraphs.append([])
                para_pages.append([])
            paragraphs[-1].append(text)
            para_pages[-1].extend(pages_here)
            prev, prev_page = line, page.number
    out: list[str] = []
    marker_pages: list[int] = []
    for parts, mpages in zip(paragraphs, para_pages):
        joined = join_lines(parts)
        if not assembly.normalize_paragraph(strip_markers(joined)):
            continue
        out.append(joined)
        marker_pages.extend(mpages)
    return out, marker_pages


def _continues(prev_text: str, prev: Line, line: Line, text: str) -> bool:
    """Whether a paragraph carries on across a page or column break."""
    if abs(line.size - prev.size) > max(line.size, prev.size) * 0.1 or is_bold(line.font) != is_bold(prev.font):
        return False
    plain = strip_markers(prev_text).rstrip()
    first = text.lstrip()[:1]
    return first.islower() or not _SENTENCE_END_RE.search(plain)
