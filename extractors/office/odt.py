"""ODT (OpenDocument Text), read from ``content.xml`` and ``meta.xml`` with lxml.

``text:h`` headings, ``text:p`` paragraphs, list items and table cells are paragraphs in
document order. A ``text:note`` is replaced by an assembly marker; its ``text:note-citation``
is the printed label and its ``text:note-body`` the note, so the link is the document's own.
Tracked changes: the deleted text ODF keeps in ``text:tracked-changes`` never reaches the text;
insertions stay; both listed in ``metadata.extra["tracked_changes"]`` with a warning.
``office:annotation`` comments go to ``metadata.extra["comments"]``. Metadata from ``meta.xml``.
"""

from __future__ import annotations

from lxml import etree

from extractors import assembly
from extractors.base import CONTENT, MAGIC, Extractor
from extractors.errors import CorruptDocument
from extractors.office.package import Package, change_warnings, iso_date, note_with_links, zip_member_head
from extractors.record import ExtractedDocument, Hints, Metadata
from extractors.text.markers import strip_markers

TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
NS = {"text": TEXT, "office": OFFICE, "dc": "http://purl.org/dc/elements/1.1/",
      "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0", "xlink": "http://www.w3.org/1999/xlink"}
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


def _t(tag: str) -> str:
    return f"{{{TEXT}}}{tag}"


_BLOCKS = {_t("p"), _t("h")}
_SKIP = {f"{{{OFFICE}}}annotation", _t("tracked-changes"), _t("note-citation"), _t("bookmark-ref"),
         _t("sequence-decls"), _t("variable-decls"), _t("user-field-decls")}


class _Walk:
    """Block texts of the body with note markers, and the notes met on the way."""

    def __init__(self) -> None:
        self.notes: list[tuple[str, str, str]] = []  # (key, printed label, body)
        self.blocks: list[str] = []
        self.headings: list[dict[str, object]] = []
        self.floating: list[str] = []  # paragraphs of frames (text boxes) anchored in the current block

    def body(self, node: etree._Element) -> None:
        for child in node:
            if not isinstance(child.tag, str) or child.tag in _SKIP:
                continue
            if child.tag in _BLOCKS:
                text = self.inline(child, in_note=False)
                if child.tag == _t("h"):
                    plain = assembly.normalize_paragraph(strip_markers(text))
                    if plain:
                        self.headings.append({"level": int(child.get(_t("outline-level"), "1") or 1),
                                              "text": plain})
                self.blocks.append(text)
                self.blocks.extend(self.floating)  # a text box follows the paragraph that anchors it
                self.floating = []
            else:
                self.body(child)  # lists, sections, tables, frames: their paragraphs in order

    def inline(self, node: etree._Element, in_note: bool) -> str:
        out = [node.text or ""]
        for child in node:
            tag = child.tag
            if isinstance(tag, str) and tag not in _SKIP:
                out.append(self._element(child, in_note))
            out.append(child.tail or "")
        return "".join(out)

    def _element(self, child: etree._Element, in_note: bool) -> str:
        tag = child.tag
        if tag == _t("s"):
            return " " * min(int(child.get(_t("c"), "1") or 1), 100)
        if tag in (_t("tab"), _t("line-break")):
            return " "
        if tag == _t("note"):
            if in_note:
                return ""
            citation = child.find(_t("note-citation"))
            label = (citation.get(_t("label")) or "".join(citation.itertext())).strip() if citation is not None else ""
            body = child.find(_t("note-body"))
            texts = [self.inline(p, in_note=True) for p in body.iter(_t("p"), _t("h"))] if body is not None else []
            key = f"{child.get(_t('note-class'), 'footnote')}:{child.get(_t('id'), len(self.notes))}"
            self.notes.append((key, label or str(len(self.notes) + 1), assembly.normalize_paragraph(" ".join(texts))))
            return assembly.marker(key)
        if tag == _t("a") and in_note:
            return note_with_links(self.inline(child, in_note), child.get(f"{{{NS['xlink']}}}href"))
        if tag in _BLOCKS:  # a paragraph inside a frame inside a paragraph
            if in_note:
                return " " + self.inline(child, in_note) + " "
            self.floating.append(self.inline(child, in_note))
            return ""
        return self.inline(child, in_note)


class OdtExtractor(Extractor):
    """OpenDocument text files (``.odt``), from their XML."""

    name = "odt"
    media_type = ODT_MIMETYPE.decode()
    media_types = frozenset({media_type})
    extensions = frozenset({"odt", "ott"})

    def content_score(self, data: bytes, hints: Hints) -> int:
        """MAGIC + CONTENT for a ZIP whose first member is ``mimetype`` saying ODF text."""
        if data.startswith(b"PK\x03\x04") and data[30:38] == b"mimetype" and data[38:38 + len(ODT_MIMETYPE)] \
                == ODT_MIMETYPE:
            return MAGIC + CONTENT
        # A package rewritten by a tool that compressed the mimetype member.
        return MAGIC + CONTENT if zip_member_head(data, "mimetype").strip() == ODT_MIMETYPE else 0

    def read(self, data: bytes, hints: Hints) -> ExtractedDocument:
        """Text, linked notes, metadata, tracked changes and comments of one ODT."""
        package = Package(data, hints, "odt")
        content = package.xml("content.xml", required=True)
        office_text = content.find(f"{{{OFFICE}}}body/{{{OFFICE}}}text")
        if office_text is None:
            raise CorruptDocument("odt: content.xml has no office:body/office:text")
        walk = _Walk()
        walk.body(office_text)
        text, markers = assembly.assemble(walk.blocks)
        labels = _unique_labels(walk.notes)
        footnotes = assembly.link_footnotes(text, [(labels.get(k, k), off) for k, off in markers],
                                            [(labels[key], body) for key, _, body in walk.notes])
        warnings = [f"note {note.label} has no reference mark in the text" for note in footnotes if not note.markers]
        metadata = _meta(package)
        if not metadata.title and walk.headings:
            metadata.title = str(walk.headings[0]["text"])
        if walk.headings:
            metadata.extra["headings"] = walk.headings[:500]
        changes = _tracked_changes(office_text)
        comments = _comments(office_text)
        if changes["insertions"] or changes["deletions"]:
            metadata.extra["tracked_changes"] = changes
        if comments:
            metadata.extra["comments"] = comments
        warnings[:0] = change_warnings(len(changes["insertions"]), len(changes["deletions"]), len(comments))
        return ExtractedDocument(format="odt", media_type=self.media_type, text=text, metadata=metadata,
                                 footnotes=footnotes, warnings=warnings, extractor=self.name)


def _unique_labels(notes: list[tuple[str, str, str]]) -> dict[str, str]:
    """The printed label of each note key, a footnote and an endnote with the same label told apart."""
    out: dict[str, str] = {}
    for key, label, _ in notes:
        out[key] = label if label not in out.values() else f"{key.split(':')[0][0]}{label}"
    return out


def _meta(package: Package) -> Metadata:
    """Title, authors, dates, language, keywords from ``meta.xml``."""
    metadata = Metadata()
    root = package.xml("meta.xml")
    meta = root.find("office:meta", NS) if root is not None else None
    if meta is None:
        return metadata

    def value(path: str) -> str:
        node = meta.find(path, NS)
        return "".join(node.itertext()).strip() if node is not None else ""

    metadata.title = value("dc:title") or None
    authors = [a.strip() for v in (value("meta:initial-creator"), value("dc:creator")) for a in v.split(";")]
    metadata.authors = list(dict.fromkeys(a for a in authors if a))
    metadata.file_date = iso_date(value("meta:creation-date"))
    metadata.language = value("dc:language") or None
    metadata.description = value("dc:description") or value("dc:subject") or None
    metadata.keywords = [k.text.strip() for k in meta.findall("meta:keyword", NS) if k.text and k.text.strip()]
    for key, path in (("created", "meta:creation-date"), ("modified", "dc:date")):
        if value(path):
            metadata.extra[key] = value(path)
    return metadata


def _tracked_changes(office_text: etree._Element) -> dict[str, list[dict[str, str]]]:
    """Insertions and deletions recorded in ``text:tracked-changes`` (deleted text never reaches the body)."""
    out: dict[str, list[dict[str, str]]] = {"insertions": [], "deletions": []}
    for region in office_text.iter(_t("changed-region")):
        for kind, name in (("insertion", "insertions"), ("deletion", "deletions")):
            change = region.find(_t(kind))
            if change is None:
                continue
            info = change.find("office:change-info", NS)
            author = info.find("dc:creator", NS) if info is not None else None
            date = info.find("dc:date", NS) if info is not None else None
            deleted = " ".join("".join(p.itertext()) for p in change.iter(_t("p"))) if kind == "deletion" else ""
            out[name].append({"id": region.get(_t("id")) or region.get("{http://www.w3.org/XML/1998/namespace}id", ""),
                              "author": author.text if author is not None and author.text else "",
                              "date": date.text if date is not None and date.text else "", "text": deleted})
    return out


def _comments(office_text: etree._Element) -> list[dict[str, str]]:
    """The ``office:annotation`` comments: author, date, text."""
    out = []
    for note in office_text.iter(f"{{{OFFICE}}}annotation"):
        creator, date = note.find("dc:creator", NS), note.find("dc:date", NS)
        text = " ".join("".join(p.itertext()) for p in note.iter(_t("p")))
        out.append({"author": creator.text if creator is not None and creator.text else "",
                    "date": date.text if date is not None and date.text else "",
                    "text": assembly.normalize_paragraph(text)})
    return out
