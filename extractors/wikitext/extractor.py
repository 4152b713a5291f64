"""MediaWiki wikitext (mwparserfromhell): canonical text, refs as footnotes, cite templates.

Footnotes follow what a reader of the rendered page sees: ``<ref>`` tags,
named refs reused by ``<ref name="x" />`` (one note, several markers, the
definition possibly after a reuse or list-defined inside ``<references>`` /
``{{reflist|refs=}}``), ``{{sfn}}``-family short citations (identical calls
share one note), ``{{efn}}`` / ``{{refn}}`` notes, ``{{r}}`` reuses and
``{{#tag:ref}}``. Labels are the numbers the rendered page prints: "1", "2",
… in order of first reference for the default group, "a", "b", … for
``{{efn}}`` (lower-alpha), and "<group> 1" for other named groups.

``{{cite web}}`` and friends become the note's plain text *and* structured
:class:`Citation` fields. Infoboxes (``{{Infobox …}}`` templates, or the
"Infobox" / ``- Key: value`` block left by some converters) go to
``metadata.extra["infobox"]``, not to the canonical text.

Stages: :mod:`~extractors.wikitext.render` (tree → text),
:mod:`~extractors.wikitext.templates` (template handler table),
:mod:`~extractors.wikitext.cite` (cite templates → Citation fields),
:mod:`~extractors.wikitext.refs` (ref numbering); this module holds the
:class:`WikitextExtractor` (paragraphs, notes, metadata).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote, urlparse

import mwparserfromhell

from extractors.assembly import assemble, link_footnotes
from extractors.base import Extractor
from extractors.errors import DecodingError
from extractors.evidence import markdown_evidence, markup_head, scaled_score, wikitext_evidence
from extractors.record import ExtractedDocument, Hints, Metadata
from extractors.text.dates import parse_date
from extractors.text.decoding import decode_text, looks_binary
from extractors.text.identifiers import find_document_identifiers
from extractors.text.markers import strip_markers
from extractors.wikitext.common import HEAD, HEAD_END, ITEM
from extractors.wikitext.refs import Ref, group_label  # noqa: F401 - group_label re-exported for callers
from extractors.wikitext.render import LANG_PREFIX_RE, Renderer

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------
# Extractor

_CONVERTED_INFOBOX_RE = re.compile(
    r"^Infobox[^\S\n]*([^\n]*)\n((?:[ \t]*[-*•][ \t]*[^:\n]{1,80}:[^\n]*(?:\n|$))+)", re.M
)
_REFERENCES_OPEN_RE = re.compile(r"<references\b[^>]*?(?<!/)>", re.I)
_REFERENCES_CLOSE_RE = re.compile(r"</references\s*>", re.I)
_STRAY_REF_RE = re.compile(r"</?ref\b[^>]*>|<references\b[^>]*/?>|</references\s*>", re.I)


def _paragraphs(rendered: str) -> list[tuple[str, int]]:
    """Split rendered text into ``(paragraph, heading level or 0)``."""
    out: list[tuple[str, int]] = []
    for chunk in re.split(r"\n[^\S\n]*\n", rendered):
        while chunk.strip():
            stripped = chunk.lstrip()
            if stripped.startswith(HEAD):
                level_str, _, rest = stripped[1:].partition(HEAD_END)
                out.append((rest.strip(), int(level_str or 1)))
                break
            if stripped.startswith(ITEM):
                item, _, chunk = stripped[1:].partition("\n")
                item = item.replace(ITEM, " ")
                out.append((item, 0))
                continue
            out.append((chunk.replace(ITEM, " "), 0))
            break
    return out


def _drop_empty_sections(paras: list[tuple[str, int]]) -> list[tuple[str, int]]:
    keep: list[tuple[str, int]] = []
    for i, (text, level) in enumerate(paras):
        if level:
            has_content = False
            for later, later_level in paras[i + 1:]:
                if later_level and later_level <= level:
                    break
                if not later_level and later.strip() and strip_markers(later).strip():
                    has_content = True
                    break
            if not has_content:
                continue
        keep.append((text, level))
    return keep


class WikitextExtractor(Extractor):
    """MediaWiki wikitext, and wiki-style text left by converters."""

    name = "wikitext"
    media_type = "text/x-wiki"
    media_types = frozenset({"text/x-wiki", "text/x-mediawiki"})
    extensions = frozenset({"wiki", "mediawiki", "wikitext"})

    def content_score(self, data: bytes, hints: Hints) -> int:
        text = markup_head(data)
        if text is None:
            return 0
        kinds, points = wikitext_evidence(text)
        score = scaled_score(kinds, points)
        if not score:
            return 0
        mkinds, mpoints = markdown_evidence(text)
        if mkinds >= 2 and mpoints > points:
            return 0
        return score

    def read(self, data: bytes, hints: Hints) -> ExtractedDocument:
        if looks_binary(data):
            raise DecodingError("wikitext: the bytes are binary, not text")
        decoded, warnings = decode_text(data, hints.charset)
        source, infobox = self._converted_infobox(decoded)
        opens = len(_REFERENCES_OPEN_RE.findall(source))
        closes = len(_REFERENCES_CLOSE_RE.findall(source))
        if closes and not opens:
            source = _REFERENCES_CLOSE_RE.sub("", source)
            warnings.append("dangling </references> removed")
        if "\x00" in source:  # the parser's C tokenizer ends the text at the first NUL
            warnings.append(f"{source.count(chr(0)):,} NUL character(s) removed before parsing; "
                            "the original bytes keep them")
            source = source.replace("\x00", "")
        code = mwparserfromhell.parse(source)  # library errors are wrapped by registry.extract
        renderer = Renderer(warnings)
        if infobox:
            renderer.infobox.update(infobox)
            renderer.infobox_type = renderer.infobox_type or "converted"
        rendered = renderer.render(code, "body")
        paras = _drop_empty_sections(_paragraphs(rendered))
        cleaned: list[str] = []
        stray = False
        for text, _level in paras:
            new = _STRAY_REF_RE.sub("", text)
            stray = stray or new != text
            cleaned.append(new)
        if stray:
            warnings.append("stray <ref>/<references> tags removed from the text")
        text, markers = assemble(cleaned)

        notes = renderer.notes
        for key, ref in notes.pending.items():
            warnings.append(f"list-defined ref name={key[1]!r} is never used; dropped")
        pairs: list[tuple[str, str]] = []
        by_label: dict[str, Ref] = {}
        for ref in notes.order:
            if ref.body is None:
                warnings.append(f"ref name={ref.name!r} is used but never defined")
                continue
            if ref.label in by_label:
                continue
            by_label[ref.label] = ref
            pairs.append((ref.label, ref.body))
        footnotes = link_footnotes(text, markers, notes=pairs)
        for note in footnotes:
            ref = by_label.get(note.label)
            if ref is not None and ref.citations:
                note.citations = ref.citations
        marked = {label for label, _ in markers}
        for label, _ in pairs:
            if label not in marked:
                log.debug("wikitext note %s has no marker in the canonical text", label)

        metadata = self._metadata(text, paras, renderer, hints)
        return ExtractedDocument(
            format="wikitext", media_type=self.media_type, text=text, metadata=metadata,
            footnotes=footnotes, warnings=warnings, extractor=self.name,
        )

    @staticmethod
    def _converted_infobox(text: str) -> tuple[str, dict[str, str]]:
        """The "Infobox" + ``- Key: value`` block some converters write, taken out."""
        m = _CONVERTED_INFOBOX_RE.search(text[:20_000])
        if not m:
            return text, {}
        box: dict[str, str] = {}
        for line in m.group(2).splitlines():
            line = re.sub(r"^[ \t]*[-*•][ \t]*", "", line)
            key, _, value = line.partition(":")
            if key.strip() and value.strip():
                box.setdefault(key.strip(), value.strip())
        return text[: m.start()] + text[m.end():], box

    @staticmethod
    def _metadata(text: str, paras: list[tuple[str, int]], renderer: Renderer, hints: Hints) -> Metadata:
        meta = Metadata()
        strip = lambda s: assemble([s])[0]  # noqa: E731 - drops markers
        h1 = [strip(t) for t, level in paras if level == 1 and strip(t)]
        title = renderer.display_title or (h1[0] if h1 else None)
        site = None
        if hints.url:
            parsed = urlparse(hints.url)
            meta.canonical_url = hints.url
            host = parsed.netloc.lower()
            if host.endswith("wikipedia.org"):
                site = "Wikipedia"
                lang = host.split(".")[0]
                if LANG_PREFIX_RE.match(lang) and lang not in ("www", "m"):
                    meta.language = lang
            if title is None:
                m = re.search(r"/wiki/([^?#]+)", parsed.path)
                if m:
                    title = unquote(m.group(1)).replace("_", " ")
                elif "title=" in (parsed.query or ""):
                    q = re.search(r"(?:^|&)title=([^&]+)", parsed.query)
                    title = unquote(q.group(1)).replace("_", " ") if q else None
        if title is None:
            for key in ("name", "title", "conventional_long_name", "official_name"):
                if renderer.infobox.get(key):
                    title = renderer.infobox[key]
                    break
        meta.title = title
        meta.site_name = site
        head = [t for t, level in paras[:12] if not level]
        for para in head:
            cleaned = re.sub(r"^(?:date|dated|published)\s*:?\s*", "", strip(para).strip(), flags=re.I)
            if len(cleaned) <= 40:
                iso = parse_date(cleaned)
                if iso:
                    meta.date = iso
                    break
        meta.identifiers = find_document_identifiers("\n".join(strip(p) for p in head if len(p) < 300))
        meta.keywords = list(dict.fromkeys(renderer.categories))
        if renderer.infobox:
            meta.extra["infobox"] = dict(renderer.infobox)
            if renderer.infobox_type:
                meta.extra["infobox_type"] = renderer.infobox_type
        if renderer.interlanguage:
            meta.extra["interlanguage"] = dict(renderer.interlanguage)
        return meta

