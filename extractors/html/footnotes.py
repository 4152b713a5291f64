"""HTML footnotes: find reference anchors and their notes, then take notes out of the tree.

Recognised conventions (all linked structurally, by ``href="#id"``):

* encyclopedia (MediaWiki): ``sup.reference > a[href="#cite_note-…"]`` into
  ``ol.references``; backlinks ``span.mw-cite-backlink`` (``^ a b``) dropped;
* pandoc: ``a.footnote-ref`` into ``section.footnotes`` / ``section#footnotes``
  / ``div.footnotes``; ``a.footnote-back`` (↩) dropped;
* docutils: ``a.footnote-reference`` into ``aside.footnote``,
  ``dl.footnote`` (html5 writer) or ``table.docutils.footnote`` (html4 writer);
* DPUB-ARIA: ``role="doc-noteref"`` into ``role="doc-endnotes"`` /
  ``doc-footnote`` / ``doc-endnote``; ``role="doc-backlink"`` dropped;
* generic: ``<sup><a href="#id">`` (or ``<a href="#id"><sup>``) pointing
  forward to a list item or short block.

:func:`take_footnotes` mutates the tree: every reference is replaced by a
placeholder token (see :func:`token`) that survives main-text extraction, and
the notes (with their now-empty containers and "Notes" headings) are removed.
"""

from __future__ import annotations

import re
from copy import deepcopy
from dataclasses import dataclass, field

from lxml import etree

from extractors.text.markers import html_token

REF_CLASSES = {"footnote-ref", "footnote-reference", "footnoteref", "fnref", "noteref", "footnote-link",
               "footnote-anchor", "footnote-call", "reference", "ref", "fn-ref"}
BACKLINK_CLASSES = {"footnote-back", "fn-backref", "mw-cite-backlink", "backlink", "footnote-backref",
                    "reversefootnote", "footnote-return", "backrefs", "footnote-backlink", "fn-back"}
NOTE_ROLES = {"doc-footnote", "doc-endnote", "doc-biblioentry"}
NOTE_BLOCK_TAGS = {"li", "aside", "dd", "dt", "p", "div", "table", "tr", "section", "td", "footer"}
NOTES_HEADING_RE = re.compile(
    r"^\W*(foot\s*notes?|end\s*notes?|notes?|references?|citations?|sources?|notes and references|"
    r"notes et références|références|anmerkungen|einzelnachweise|fußnoten|notas|referencias|"
    r"примечания|ссылки|ملاحظات|المراجع|الهوامش)\W*$",
    re.IGNORECASE,
)
_LABEL_STRIP = "[]()·  \u00a0\t\n"
MAX_LABEL_CHARS = 12
MAX_NOTE_CHARS = 20_000


_FRAGMENT_ANCHORS = etree.XPath("//a[contains(@href, '#')]")
_ID_HOLDERS = etree.XPath("//*[@id]|//a[@name]")


@dataclass
class NoteSet:
    """Result of :func:`take_footnotes`: token → label, and ``(label, body)`` notes."""

    labels: dict[int, str] = field(default_factory=dict)
    notes: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _classes(el: etree._Element) -> set[str]:
    return set((el.get("class") or "").lower().split())


def _fragment(href: str | None) -> str | None:
    if not href or "#" not in href:
        return None
    path, _, frag = href.partition("#")
    if path.strip():
        return None
    return frag or None


def _text(el: etree._Element) -> str:
    return " ".join("".join(el.itertext()).split())


def _is_ref_anchor(a: etree._Element) -> bool:
    """Whether anchor ``a`` looks like a note reference by class, role or ``<sup>``."""
    if a.get("role") == "doc-noteref" or _classes(a) & REF_CLASSES:
        return True
    parent = a.getparent()
    if parent is not None and parent.tag == "sup":
        return True
    return any(child.tag == "sup" for child in a) and len(_text(a)) <= MAX_LABEL_CHARS


def _structural(a: etree._Element) -> bool:
    """References marked as such by class or role (not just by ``<sup>``)."""
    if a.get("role") == "doc-noteref" or _classes(a) & REF_CLASSES:
        return True
    parent = a.getparent()
    return parent is not None and parent.tag == "sup" and bool(_classes(parent) & REF_CLASSES)


def clean_label(raw: str) -> str:
    """The printed label of a reference: ``"[3]"`` → ``"3"``, ``"(a)"`` → ``"a"``."""
    return raw.strip(_LABEL_STRIP).strip()


def _note_element(target: etree._Element) -> etree._Element:
    """The element that holds the note text for anchor target ``target``."""
    el = target
    if el.get("role") in NOTE_ROLES:
        return el
    if el.tag in ("a", "span", "sup", "b", "strong", "em", "i", "small", "cite"):
        parent = el.getparent()
        while parent is not None and parent.tag not in NOTE_BLOCK_TAGS:
            parent = parent.getparent()
        if parent is not None:
            el = parent
    if el.tag == "td":
        row = el.getparent()
        el = row if row is not None else el
    if el.tag == "dt":
        nxt = el.getnext()
        if nxt is not None and nxt.tag == "dd":
            return el  # body is read from the following dd
    return el


def _backlink_targets(refs: list[etree._Element]) -> set[str]:
    ids: set[str] = set()
    for a in refs:
        for el in (a, a.getparent()):
            if el is not None and el.get("id"):
                ids.add(el.get("id"))
    return ids


def note_body(note: etree._Element, label: str, backlink_ids: set[str]) -> str:
    """The text of one note, without backlinks (``^ a b``, ``↩``) and without its own label."""
    el = deepcopy(note)
    el.tail = None
    if note.tag == "dt":
        dd = note.getnext()
        el = deepcopy(dd) if dd is not None else el
        el.tail = None
    texts = el.xpath(".//*[contains(concat(' ', normalize-space(@class), ' '), ' reference-text ')]")
    if texts:
        el = texts[0]
    for child in list(el.iter()):
        if child is el or child.getparent() is None:
            continue
        cls = _classes(child)
        frag = _fragment(child.get("href")) if child.tag == "a" else None
        if (
            child.get("role") == "doc-backlink"
            or cls & BACKLINK_CLASSES
            or (child.tag in ("td", "span", "dt") and "label" in cls)
            or "fn-bracket" in cls
            or (frag is not None and frag in backlink_ids)
        ):
            _drop(child)
    body = _text(el)
    body = re.sub(r"^\(\s*[,\s]*\)\s*", "", body)
    body = re.sub(r"^[\^↑↩︎\s]+", "", body)
    if label:
        body = re.sub(rf"^[\[(]?{re.escape(label)}[\])]?[.:)]?\s+", "", body)
    body = re.sub(r"[\s↩︎\u21a9\ufe0e\^]+$", "", body)
    return body.strip()


def _drop(el: etree._Element) -> None:
    """Remove ``el`` but keep its tail text."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail or ""
    prev = el.getprevious()
    if prev is not None:
        prev.tail = (prev.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(el)


def _replace_with_text(el: etree._Element, text: str) -> None:
    """Replace ``el`` by plain ``text`` (followed by its tail)."""
    el.tail = text + (el.tail or "")
    _drop(el)


def _ref_unit(a: etree._Element, refs_set: set[int]) -> etree._Element:
    """The element to replace: ``a``, or its ``<sup>`` when the sup holds only references."""
    parent = a.getparent()
    if parent is not None and parent.tag == "sup":
        anchors = parent.findall(".//a")
        rest = "".join(parent.itertext())
        for x in anchors:
            rest = rest.replace(_text(x), "", 1)
        if all(id(x) in refs_set for x in anchors) and not rest.strip(" ,;[]()\u00a0\n\t"):
            return parent
    return a


def _assign_labels(refs: list[tuple[etree._Element, etree._Element, str]],
                   warnings: list[str]) -> dict[etree._Element, str]:
    """One label per note, in reference order; a label two notes share gets "#2" on the second."""
    note_label: dict[etree._Element, str] = {}
    used_labels: dict[str, etree._Element] = {}
    for a, note, label in refs:
        if note in note_label:
            continue
        final = label
        n = 2
        while final in used_labels and used_labels[final] is not note:
            final = f"{label}#{n}"
            n += 1
        if final != label:
            warnings.append(f"footnote label {label!r} used by two different notes; second kept as {final!r}")
        used_labels[final] = note
        note_label[note] = final
    return note_label


def take_footnotes(root: etree._Element) -> NoteSet:
    """Find references and notes in ``root``; replace references by tokens, remove notes."""
    result = NoteSet()
    # only anchors with a same-page fragment can be references: most pages have none
    anchors = _FRAGMENT_ANCHORS(root)
    if not anchors:
        return result
    ids: dict[str, etree._Element] = {}
    for el in _ID_HOLDERS(root):
        key = el.get("id") or (el.get("name") if el.tag == "a" else None)
        if key and key not in ids:
            ids[key] = el
    if not ids:
        return result
    order: dict[etree._Element, int] = {}

    def position(el: etree._Element) -> int:
        if not order:
            order.update((node, i) for i, node in enumerate(root.iter()))
        return order.get(el, 0)

    candidates: list[tuple[etree._Element, etree._Element, str]] = []
    for a in anchors:
        frag = _fragment(a.get("href"))
        if frag is None or frag not in ids or not _is_ref_anchor(a):
            continue
        label = clean_label(_text(a))
        if not label or len(label) > MAX_LABEL_CHARS:
            continue
        note = _note_element(ids[frag])
        if note is a or note.tag in ("body", "html") or any(anc is note for anc in a.iterancestors()):
            continue
        if len(_text(note)) > MAX_NOTE_CHARS:
            continue
        if not _structural(a):
            # generic <sup><a href="#x">: the note must come later and be short
            if position(note) < position(a):
                continue
        candidates.append((a, note, label))
    if not candidates:
        return result

    notes_set = {note for _, note, _ in candidates}
    # anchors inside notes are backlinks or nested references, not markers
    refs = [(a, note, label) for a, note, label in candidates
            if not any(anc in notes_set for anc in a.iterancestors())]
    if not refs:
        return result
    backlink_ids = _backlink_targets([a for a, _, _ in refs])

    note_label = _assign_labels(refs, result.warnings)
    ordered_notes = sorted(note_label, key=position)
    for note in ordered_notes:
        label = note_label[note]
        result.notes.append((label, note_body(note, label, backlink_ids)))

    ref_ids = {id(a) for a, _, _ in refs}
    done: set[int] = set()
    for i, (a, note, _) in enumerate(refs):
        result.labels[i] = note_label[note]
        unit = _ref_unit(a, ref_ids)
        if unit is a:
            _replace_with_text(a, html_token(i))
        elif id(unit) not in done:
            done.add(id(unit))
            toks = "".join(html_token(j) for j, (b, _, _) in enumerate(refs) if b in set(unit.iter("a")))
            _replace_with_text(unit, toks)

    for note in ordered_notes:
        _remove_note(note)
    return result


def _remove_note(note: etree._Element) -> None:
    """Remove a note, then climb removing containers left empty and their "Notes" heading."""
    if note.tag == "dt":
        dd = note.getnext()
        if dd is not None and dd.tag == "dd" and dd.getparent() is not None:
            _drop(dd)
    parent = note.getparent()
    if parent is None:
        return
    _drop(note)
    el = parent
    while el is not None and el.tag not in ("body", "html") and _is_empty_container(el):
        up = el.getparent()
        _remove_heading_before(el)
        _drop(el)
        el = up


def _is_empty_container(el: etree._Element) -> bool:
    """True when ``el`` holds no text besides "Notes"-style headings."""
    text = _text(el)
    if not text:
        return True
    for h in el.iter("h1", "h2", "h3", "h4", "h5", "h6"):
        heading = _text(h)
        if NOTES_HEADING_RE.match(_strip_edit(heading)):
            text = text.replace(heading, "", 1)
    return not _strip_edit(text).strip()


def _strip_edit(text: str) -> str:
    return re.sub(r"\[\s*edit\s*\]", "", text).strip()


def _remove_heading_before(el: etree._Element) -> None:
    """Drop a "Notes"/"References" heading right before ``el`` (or wrapping div)."""
    prev = el.getprevious()
    if prev is None:
        return
    heading = prev
    if heading.tag not in ("h1", "h2", "h3", "h4", "h5", "h6"):
        inner = [c for c in heading.iter() if c.tag in ("h1", "h2", "h3", "h4", "h5", "h6")]
        rubric = "rubric" in _classes(heading)
        if not inner and not rubric:
            return
    if NOTES_HEADING_RE.match(_strip_edit(_text(heading))):
        _drop(heading)
