"""DOCX (Office Open XML WordprocessingML), read from the package's XML with lxml.

The body's paragraphs and tables are walked in order; headings (``Heading N``/``Title`` styles,
outline levels) and list items are paragraphs of their own. ``w:footnoteReference`` and
``w:endnoteReference`` become assembly markers for the notes in ``word/footnotes.xml`` and
``word/endnotes.xml``, labelled by their number in reference order (decimal footnotes, roman
endnotes, or the number format the settings declare). Tracked changes: inserted text stays,
deleted text (``w:del``, ``w:moveFrom``) is left out; both are listed in
``metadata.extra["tracked_changes"]`` with a warning, as are the comments of ``word/comments.xml``.
Metadata from ``docProps/core.xml``.
"""

from __future__ import annotations

import re

from lxml import etree

from extractors import assembly
from extractors.base import CONTENT, MAGIC, Extractor
from extractors.office.package import Package, change_warnings, iso_date, note_with_links, zip_names
from extractors.errors import CorruptDocument
from extractors.record import ExtractedDocument, Hints, Metadata
from extractors.text.markers import strip_markers

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS = {"w": W, "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
      "dc": "http://purl.org/dc/elements/1.1/", "dcterms": "http://purl.org/dc/terms/"}
MAX_CHANGES_KEPT = 500


def _q(tag: str) -> str:
    return f"{{{W}}}{tag}"


_SKIP = {_q("del"), _q("moveFrom"), _q("instrText"), _q("delText"), _q("footnoteRef"), _q("endnoteRef"),
         _q("rPr"), _q("pPr"), _q("fldData")}
_BREAKS = {_q("tab"), _q("br"), _q("cr")}
_HEADING_RE = re.compile(r"^(?:heading\s*(\d)|title)$", re.I)


def roman(number: int) -> str:
    """Lower-case roman numeral of ``number`` (>= 1)."""
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                           (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while number >= value:
            out, number = out + letters, number - value
    return out


def number_label(number: int, fmt: str) -> str:
    """A note number printed in Word's ``w:numFmt`` ``fmt``."""
    if fmt == "lowerRoman":
        return roman(number)
    if fmt == "upperRoman":
        return roman(number).upper()
    if fmt in ("lowerLetter", "upperLetter"):
        letter = chr(ord("a") + (number - 1) % 26) * ((number - 1) // 26 + 1)
        return letter if fmt == "lowerLetter" else letter.upper()
    return str(number)


class _Walk:
    """Paragraph texts of one part, with note markers and the tracked changes met on the way."""

    def __init__(self, links: dict[str, str]) -> None:
        self.links = links
        self.refs: list[tuple[str, str]] = []  # (kind, id) in reference order
        self.insertions: list[dict[str, str]] = []
        self.deletions: list[dict[str, str]] = []

    def paragraph(self, para: etree._Element, in_note: bool = False) -> str:
        out: list[str] = []
        self._inline(para, out, in_note)
        return "".join(out)

    def _inline(self, node: etree._Element, out: list[str], in_note: bool) -> None:
        for child in node:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            if tag in (_q("del"), _q("moveFrom")):
                self._change(self.deletions, child, "".join(child.itertext()))
                continue
            if tag in _SKIP or tag == _q("txbxContent"):
                continue
            if tag == _q("t"):
                out.append(child.text or "")
            elif tag in _BREAKS:
                out.append(" ")
            elif tag == _q("noBreakHyphen"):
                out.append("-")
            elif tag in (_q("footnoteReference"), _q("endnoteReference")) and not in_note:
                kind = "footnote" if tag == _q("footnoteReference") else "endnote"
                self.refs.append((kind, child.get(_q("id"), "")))
                out.append(assembly.marker(f"{kind}:{child.get(_q('id'), '')}"))
            elif tag == _q("hyperlink") and in_note:
                inner: list[str] = []
                self._inline(child, inner, in_note)
                out.append(note_with_links("".join(inner), self.links.get(child.get(f"{{{R}}}id", ""))))
            else:
                if tag in (_q("ins"), _q("moveTo")):
                    self._change(self.insertions, child, "".join(t.text or "" for t in child.iter(_q("t"))))
                self._inline(child, out, in_note)

    @staticmethod
    def _change(into: list[dict[str, str]], node: etree._Element, text: str) -> None:
        if len(into) < MAX_CHANGES_KEPT:
            into.append({"text": text, "author": node.get(_q("author"), ""), "date": node.get(_q("date"), "")})
        else:
            into.append({})


MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def _paragraphs(container: etree._Element) -> list[etree._Element]:
    """The paragraphs of ``container`` in order, tables included.

    A text box's paragraphs follow the paragraph that anchors it (its walk skips them); the
    VML copy Word keeps of a text box for old readers (``mc:Fallback``) is left out.
    """
    return [p for p in container.iter(_q("p")) if not any(a.tag == MC_FALLBACK for a in p.iterancestors())]


def _style(para: etree._Element) -> tuple[str, int | None]:
    style = para.find(f"{_q('pPr')}/{_q('pStyle')}")
    name = style.get(_q("val"), "") if style is not None else ""
    outline = para.find(f"{_q('pPr')}/{_q('outlineLvl')}")
    level = None
    m = _HEADING_RE.match(name.replace("-", ""))
    if m:
        level = int(m.group(1)) if m.group(1) else 0
    elif outline is not None and (outline.get(_q("val")) or "").isdigit() and int(outline.get(_q("val"))) < 9:
        level = int(outline.get(_q("val"))) + 1
    return name, level


class DocxExtractor(Extractor):
    """Word documents (``.docx``), from their XML parts."""

    name = "docx"
    media_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    media_types = frozenset({media_type})
    extensions = frozenset({"docx", "docm", "dotx"})

    def content_score(self, data: bytes, hints: Hints) -> int:
        """MAGIC + CONTENT for a ZIP holding ``word/document.xml`` (beats a plain ZIP container)."""
        return MAGIC + CONTENT if "word/document.xml" in zip_names(data) else 0

    def read(self, data: bytes, hints: Hints) -> ExtractedDocument:
        """Text, linked notes, metadata, tracked changes and comments of one DOCX."""
        package = Package(data, hints, "docx")
        document = package.xml("word/document.xml", required=True)
        body = document.find(_q("body"))
        if body is None:
            raise CorruptDocument("docx: word/document.xml has no w:body")
        walk = _Walk(_links(package, "word/_rels/document.xml.rels"))
        paragraphs: list[str] = []
        headings: list[dict[str, object]] = []
        title_para = None
        for para in _paragraphs(body):
            text = walk.paragraph(para)
            style, level = _style(para)
            if level is not None and assembly.normalize_paragraph(strip_markers(text)):
                plain = assembly.normalize_paragraph(strip_markers(text))
                headings.append({"level": level, "text": plain})
                if title_para is None and (level in (0, 1)):
                    title_para = plain
            paragraphs.append(text)
        text, markers = assembly.assemble(paragraphs)
        notes, labels, note_walk = self._notes(package, walk)
        footnotes = assembly.link_footnotes(text, [(labels.get(k, k), off) for k, off in markers],
                                            [(labels[k], body) for k, body in notes])
        warnings = [f"note {note.label} has no reference mark in the text" for note in footnotes if not note.markers]
        metadata = _core_metadata(package)
        metadata.title = metadata.title or title_para
        metadata.language = metadata.language or _default_language(package)
        if headings:
            metadata.extra["headings"] = headings[:500]
        comments = _comments(package)
        insertions = walk.insertions + note_walk.insertions
        deletions = walk.deletions + note_walk.deletions
        if insertions or deletions:
            metadata.extra["tracked_changes"] = {"insertions": [c for c in insertions if c],
                                                 "deletions": [c for c in deletions if c]}
        if comments:
            metadata.extra["comments"] = comments
        warnings[:0] = change_warnings(len(insertions), len(deletions), len(comments))
        return ExtractedDocument(format="docx", media_type=self.media_type, text=text, metadata=metadata,
                                 footnotes=footnotes, warnings=warnings, extractor=self.name)

    def _notes(self, package: Package, walk: _Walk) -> tuple[list[tuple[str, str]], dict[str, str], _Walk]:
        """``(key, body)`` of every referenced note, the printed label of each key, and the notes' walk."""
        settings = package.xml("word/settings.xml")
        formats = {"footnote": "decimal", "endnote": "lowerRoman"}
        if settings is not None:
            for kind in formats:
                fmt = settings.find(f"{_q(kind + 'Pr')}/{_q('numFmt')}")
                if fmt is not None and fmt.get(_q("val")):
                    formats[kind] = fmt.get(_q("val"))
        note_walk = _Walk({})
        bodies: dict[str, str] = {}
        for kind in ("footnote", "endnote"):
            part = package.xml(f"word/{kind}s.xml")
            if part is None:
                continue
            note_walk.links = _links(package, f"word/_rels/{kind}s.xml.rels")
            for node in part.iter(_q(kind)):
                if node.get(_q("type")) in ("separator", "continuationSeparator", "continuationNotice"):
                    continue
                texts = [note_walk.paragraph(p, in_note=True) for p in _paragraphs(node)]
                bodies[f"{kind}:{node.get(_q('id'), '')}"] = assembly.normalize_paragraph(" ".join(texts))
        labels: dict[str, str] = {}
        counts = {"footnote": 0, "endnote": 0}
        notes: list[tuple[str, str]] = []
        for kind, ident in walk.refs:
            key = f"{kind}:{ident}"
            if key in labels or key not in bodies:
                continue
            counts[kind] += 1
            label = number_label(counts[kind], formats[kind])
            labels[key] = label if label not in labels.values() else f"{kind[0]}{label}"
            notes.append((key, bodies[key]))
        return notes, labels, note_walk


def _links(package: Package, rels_name: str) -> dict[str, str]:
    """External hyperlink targets by relationship id."""
    rels = package.xml(rels_name)
    if rels is None:
        return {}
    return {rel.get("Id", ""): rel.get("Target", "") for rel in rels.iter(f"{{{REL}}}Relationship")
            if rel.get("TargetMode") == "External"}


def _core_metadata(package: Package) -> Metadata:
    """Title, authors, dates, language, keywords from ``docProps/core.xml``."""
    metadata = Metadata()
    core = package.xml("docProps/core.xml")
    if core is None:
        return metadata

    def value(path: str) -> str:
        node = core.find(path, NS)
        return (node.text or "").strip() if node is not None and node.text else ""

    metadata.title = value("dc:title") or None
    metadata.authors = [a.strip() for a in re.split(r";", value("dc:creator")) if a.strip()]
    metadata.file_date = iso_date(value("dcterms:created"))
    metadata.description = value("dc:description") or value("dc:subject") or None
    metadata.language = value("dc:language") or None
    metadata.keywords = [k.strip() for k in re.split(r"[;,]", value("cp:keywords")) if k.strip()]
    for key, path in (("created", "dcterms:created"), ("modified", "dcterms:modified"),
                      ("last_modified_by", "cp:lastModifiedBy")):
        if value(path):
            metadata.extra[key] = value(path)
    return metadata


def _default_language(package: Package) -> str | None:
    """The language of the default run properties in ``word/styles.xml``."""
    styles = package.xml("word/styles.xml")
    lang = styles.find(f"{_q('docDefaults')}//{_q('lang')}") if styles is not None else None
    return lang.get(_q("val")) if lang is not None and lang.get(_q("val")) else None


def _comments(package: Package) -> list[dict[str, str]]:
    """The comments of ``word/comments.xml``: author, date, text."""
    part = package.xml("word/comments.xml")
    if part is None:
        return []
    walk = _Walk({})
    out = []
    for node in part.iter(_q("comment")):
        text = " ".join(walk.paragraph(p, in_note=True) for p in _paragraphs(node))
        out.append({"id": node.get(_q("id"), ""), "author": node.get(_q("author"), ""),
                    "date": node.get(_q("date"), ""), "text": assembly.normalize_paragraph(text)})
    return out
