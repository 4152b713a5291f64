"""HTML pages: main text (trafilatura plus own rules), metadata and footnotes.

Pipeline: bound the input → decode (declared charset, BOM, detection, ftfy)
→ parse with lxml (``huge_tree`` off) → metadata from the untouched tree →
footnote references replaced by placeholder tokens and notes removed →
hidden elements and boilerplate pruned → main text by trafilatura (readability-style
fallback), checked against trafilatura alone on the unpruned page when our path yields nothing
or removed much prose (a switch is a warning) → tokens mapped to :func:`assembly.marker` →
:func:`assembly.assemble` and :func:`assembly.link_footnotes`. An empty text is always a warning.
"""

from __future__ import annotations

import logging
import re

from extractors.assembly import assemble, link_footnotes, marker
from extractors.base import CONTENT, MAGIC, Extractor
from extractors.errors import CorruptDocument
from extractors.html.footnotes import take_footnotes
from extractors.text.markers import HTML_SPACE_BEFORE_TOKEN_RE, HTML_TOKEN_PREFIX, HTML_TOKEN_RE
from extractors.html.main_text import (boilerplate_elements, drop_hidden, main_paragraphs, never_worse,
                                      remove_boilerplate, removed_prose)
from extractors.html.metadata import declared_language, extract_metadata
from extractors.html.parse import (MAX_ELEMENTS, check_size, count_elements, page_head, parse_html, shrink_markup,
                                   sniff_charset, strip_payload_bytes)
from extractors.record import ExtractedDocument, Hints, Metadata
from extractors.text.decoding import bom_encoding, decode_text, looks_binary

log = logging.getLogger(__name__)

# prose removed with the boilerplate (characters) from which trafilatura's own result is compared
MIN_REMOVED_PROSE = 400
_LEADING_JUNK_RE = re.compile(r"^(?:\s+|<!--.*?-->|<\?xml[^>]*\?>)*", re.DOTALL)
_CONTENT_TAG_RE = re.compile(r"<(?:head|body)[\s>]|<p>|<p\s[^>]*>|<div[\s>]", re.IGNORECASE)


def _head_text(data: bytes, size: int = 1024) -> str:
    """The first ``size`` bytes as text, honouring a UTF-16/32 byte-order mark."""
    head = data[: size * 4]
    enc = bom_encoding(head)
    if enc in ("utf-16", "utf-32"):
        return head.decode(enc, errors="ignore")[:size]
    return head[:size].decode("utf-8", errors="ignore").lstrip("\ufeff")


class HtmlExtractor(Extractor):
    """Web pages and HTML/XHTML documents."""

    name = "html"
    media_type = "text/html"
    media_types = frozenset({"text/html", "application/xhtml+xml"})
    extensions = frozenset({"html", "htm", "xhtml"})

    def content_score(self, data: bytes, hints: Hints) -> int:
        """MAGIC for a doctype/``<html>`` start, CONTENT for clear HTML tags, else 0."""
        if not data or looks_binary(data):
            return 0
        head = _head_text(data)
        start = _LEADING_JUNK_RE.sub("", head, count=1)[:20].lower()
        if start.startswith(("<!doctype html", "<html")):
            return MAGIC
        if _CONTENT_TAG_RE.search(head):
            return CONTENT
        return 0

    def read(self, data: bytes, hints: Hints) -> ExtractedDocument:
        """Main text with inline footnote markers resolved, metadata and linked notes."""
        check_size(data, hints.limits)
        if looks_binary(data):
            raise CorruptDocument(
                f"html: {len(data):,} bytes of binary content (control bytes near the start {data[:8]!r}) are not HTML"
            )
        declared = hints.charset or sniff_charset(data)
        decoded, warnings = decode_text(strip_payload_bytes(data), declared)
        markup = shrink_markup(decoded, warnings, hints.limits)
        if not markup.strip():
            warnings.append("empty page")
            return self._record("", Metadata(), [], warnings)
        return self._extract_markup(markup, hints, warnings)

    def _extract_markup(self, markup: str, hints: Hints, warnings: list[str]) -> ExtractedDocument:
        root = parse_html(markup)
        # every element needs a "<" in the markup (a few are implied by the parser): only pages
        # with many tags are walked to count them
        elements = count_elements(root) if markup.count("<") > MAX_ELEMENTS // 2 else 0
        head = page_head(root)
        metadata = extract_metadata(root, head, hints.url)
        notes = take_footnotes(root)
        warnings.extend(notes.warnings)
        paragraphs, method = self._main_text(root, markup, hints, metadata.title, elements, warnings)
        metadata.extra["main_text_method"] = method

        seen: set[int] = set()

        def to_marker(m: re.Match[str]) -> str:
            index = int(m.group(1))
            label = notes.labels.get(index)
            if label is None or index in seen:
                return ""
            seen.add(index)
            return marker(label)

        # "2023 [1]." renders as "2023 ." once the marker is gone: glue the marker to the word
        if notes.labels:
            paragraphs = [HTML_TOKEN_RE.sub(to_marker, HTML_SPACE_BEFORE_TOKEN_RE.sub(r"\1", p))
                          if HTML_TOKEN_PREFIX in p else p for p in paragraphs]
        text, markers = assemble(paragraphs)
        footnotes = link_footnotes(text, markers, notes.notes)
        for note in footnotes:  # notes the detector is unsure of (split blocks, numbered spans)
            note.confidence = notes.confidence.get(note.label, note.confidence)
        missing = len(notes.labels) - len(seen)
        if missing > 0:
            warnings.append(f"{missing} footnote reference(s) fell outside the main text; their notes are kept")
        metadata.language = declared_language(root, head)  # else guessed from the text by finish()
        if not text.strip():
            warnings.append("no main text found: the page has markup but the text is empty")
        return self._record(text, metadata, footnotes, warnings)

    @staticmethod
    def _main_text(root, markup: str, hints: Hints, title: str | None, elements: int,
                   warnings: list[str]) -> tuple[list[str], str]:
        """Paragraphs of the main text, never much less than trafilatura's own on the same page.

        Boilerplate removal is checked against trafilatura alone (on the page parsed again,
        footnotes taken out the same way) when our path yields nothing, or when it removed prose
        (long paragraphs that are not links) amounting to half of the text we keep. A switch to
        trafilatura's text is a warning on the record.
        """
        drop_hidden(root)
        boilerplate = boilerplate_elements(root)
        use_trafilatura = elements <= MAX_ELEMENTS
        prose = removed_prose(boilerplate) if use_trafilatura else 0
        remove_boilerplate(root, boilerplate)
        if not use_trafilatura:
            warnings.append(f"page has more than {MAX_ELEMENTS:,} elements; main text by the simple fallback")
        paragraphs, method = main_paragraphs(root, hints.url, use_trafilatura, title)
        if use_trafilatura and (not paragraphs or prose >= max(MIN_REMOVED_PROSE, 0.5 * sum(map(len, paragraphs)))):
            plain_root = parse_html(markup)
            take_footnotes(plain_root)  # the same placeholder tokens as in ``root``; notes already kept
            drop_hidden(plain_root)
            paragraphs, method, warning = never_worse(paragraphs, method, plain_root, hints.url)
            if warning:
                warnings.append(warning)
        return paragraphs, method

    def _record(self, text: str, metadata: Metadata, footnotes: list, warnings: list[str]) -> ExtractedDocument:
        return ExtractedDocument(format="html", media_type=self.media_type, text=text, metadata=metadata,
                                 footnotes=footnotes, warnings=warnings, extractor=self.name)
