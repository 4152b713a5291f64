"""HTML footnotes: find note references and their notes, then take the notes out of the tree.

One general structural detector: a marker links (``href="#id"``) or refers (``aria-describedby``
and the other :data:`~extractors.html.footnote_rules.REFERRING_ATTRIBUTES`) to an element whose
text becomes the note. A marker counts as a reference when it says so (class, role, ``<sup>``),
when a known markup's rule says so, or when its note links back to it (back-links confirm).
The note is the block around the link target (or the block a rule names); a label-only block
takes its text from the block after it; one block that several targets point into is split at
the targets. On top, :mod:`extractors.html.footnote_rules` holds the known markups as
declarative CSS-selector rules (Word, LibreOffice, legal databases, journal platforms,
WordPress plugins, inline ``footnote-text`` spans, Tufte CSS side and margin notes), compiled
once to XPath by cssselect and run on the lxml tree itself, and only on pages that hold one of
a rule's hints. Bare ``<sup>N</sup>`` markers with no link are paired with a numbered list of
notes by number (:func:`_take_numbered`). Conventions read without a rule:

* encyclopedia (MediaWiki): ``sup.reference > a[href="#cite_note-…"]`` into
  ``ol.references``; backlinks ``span.mw-cite-backlink`` (``^ a b``) dropped;
* pandoc: ``a.footnote-ref`` into ``section.footnotes``; ``a.footnote-back`` (↩) dropped;
* docutils: ``a.footnote-reference`` into ``aside.footnote``, ``dl.footnote`` or
  ``table.docutils.footnote``;
* DPUB-ARIA: ``role="doc-noteref"`` into ``doc-endnotes`` / ``doc-footnote`` /
  ``doc-endnote``; ``role="doc-backlink"`` dropped;
* generic: ``<sup><a href="#id">`` (or ``<a href="#id"><sup>``) pointing forward.

Inline markups (the note is a span right after, or inside, the marker) are read first: the
note text leaves the paragraph and becomes a note linked to the marker.

:func:`take_footnotes` mutates the tree: every reference is replaced by a placeholder token
(see :func:`html_token`) that survives main-text extraction, and every note (with its
now-empty containers and "Notes" heading) is removed, so a note's text never stays in the body.
A note used by several markers is kept once. Labels are the marker text as displayed
(``[1]`` → ``1``); notes read by splitting a block or from the block after a label carry a
confidence below 1 (:attr:`NoteSet.confidence`).
"""

from __future__ import annotations

import re
from copy import deepcopy
from dataclasses import dataclass, field

from cssselect import HTMLTranslator
from lxml import etree

from extractors.html.footnote_rules import (
    INLINE_MARKUPS,
    LINKED_MARKUPS,
    REFERRING_ATTRIBUTES,
    InlineMarkup,
    LinkedMarkup,
)
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


_ID_HOLDERS = etree.XPath("//*[@id]|//a[@name]")


@dataclass
class NoteSet:
    """Result of :func:`take_footnotes`: token → label, and ``(label, body)`` notes."""

    labels: dict[int, str] = field(default_factory=dict)
    notes: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # label → confidence, for notes read less surely than from their own element (absent: 1.0)
    confidence: dict[str, float] = field(default_factory=dict)


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


_BLOCKS = frozenset({"p", "div", "li", "br", "tr", "td", "th", "dd", "dt", "blockquote", "section", "table",
                     "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "aside"})


def _block_text(el: etree._Element) -> str:
    """Like :func:`_text`, with a space where blocks meet ("(1991).</p><p>Forty" → "(1991). Forty")."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if isinstance(node.tag, str):
            parts.append(node.text or "")
            for child in node:
                walk(child)
                if child.tag in _BLOCKS:
                    parts.append(" ")
                parts.append(child.tail or "")

    walk(el)
    return " ".join("".join(parts).split())


def _is_ref_anchor(a: etree._Element) -> bool:
    """Whether anchor ``a`` looks like a note reference by class, role or ``<sup>``."""
    if a.get("role") == "doc-noteref" or _classes(a) & REF_CLASSES or a.tag == "sup":
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


def _keys(a: etree._Element) -> set[str]:
    """The ids and names a back-link to reference ``a`` may point at (its own, its parent's)."""
    keys: set[str] = set()
    for el in (a, a.getparent()):
        if el is not None:
            keys.update(v for v in (el.get("id"), el.get("name") if el.tag == "a" else None) if v)
    return keys


def _backlink_targets(refs: list[etree._Element]) -> set[str]:
    ids: set[str] = set()
    for a in refs:
        ids |= _keys(a)
    return ids


def _is_dropped(el: etree._Element, backlink_ids: set[str], drops: frozenset | set = frozenset()) -> bool:
    """Whether ``el`` inside a note is a back-link or label, not note text."""
    cls = _classes(el)
    frag = _fragment(el.get("href")) if el.tag == "a" else None
    return (
        el in drops
        or el.get("role") == "doc-backlink"
        or bool(cls & BACKLINK_CLASSES)
        or (el.tag in ("td", "span", "dt") and "label" in cls)
        or "fn-bracket" in cls
        or (frag is not None and frag in backlink_ids)
    )


def clean_body(body: str, label: str) -> str:
    """A note's text without leftover back-link arrows and without its own printed label."""
    body = re.sub(r"^\(\s*[,\s]*\)\s*", "", body)
    body = re.sub(r"^[\^↑↩︎\s]+", "", body)
    if label:
        body = _without_label(body, label)
    body = re.sub(r"^[.:)\]]\s+", "", body)  # the rest of "1. " once a linked label "1" is dropped
    body = re.sub(r"[\s↩︎\u21a9\ufe0e\^]+$", "", body)
    return body.strip()


def _without_label(body: str, label: str) -> str:
    """``body`` without a leading ``label`` printed as "1 ", "[1] ", "(1) ", "1. ", "1) " or "1: ".

    String tests, not a regex per label: a page of 300 notes would compile 300 patterns.
    """
    rest = body[1:] if body[:1] in "[(" else body
    if not rest.startswith(label):
        return body
    rest = rest[len(label):]
    rest = rest[1:] if rest[:1] in "])" else rest
    rest = rest[1:] if rest[:1] in ".:)" else rest
    return rest.lstrip() if rest[:1].isspace() else body


def note_body(note: etree._Element, label: str, backlink_ids: set[str], drops: frozenset | set = frozenset()) -> str:
    """The text of one note, without backlinks (``^ a b``, ``↩``), labels and rule ``drops``."""
    source = note
    if note.tag == "dt":
        dd = note.getnext()
        source = dd if dd is not None else note
    el = deepcopy(source)
    el.tail = None
    # the copy has the original's shape: pair the elements up to know which ones to drop
    doomed = [copy for orig, copy in zip(source.iter(), el.iter())
              if orig is not source and _is_dropped(orig, backlink_ids, drops)]
    texts = el.xpath(".//*[contains(concat(' ', normalize-space(@class), ' '), ' reference-text ')]")
    for child in doomed:
        if child.getparent() is not None:
            _drop(child)
    if texts:
        el = texts[0]
    return clean_body(_block_text(el), label)


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


def _assign_labels(refs: list[tuple[etree._Element, object, str]], warnings: list[str],
                   used_labels: dict[str, object] | None = None) -> dict[object, str]:
    """One label per note, in reference order; a label two notes share gets "#2" on the second."""
    note_label: dict[object, str] = {}
    used_labels = {} if used_labels is None else used_labels
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


@dataclass
class RuleHits:
    """The elements the known-markup rules matched, as lxml elements of the tree."""

    refs: set = field(default_factory=set)
    notes: set = field(default_factory=set)
    bodies: set = field(default_factory=set)
    drops: set = field(default_factory=set)
    inline: list[tuple[InlineMarkup, list, list, set]] = field(default_factory=list)  # notes in page order


_HINT_VALUES = etree.XPath("//@*", smart_strings=False)  # one path: a union of paths is much slower


def compile_selector(selector: str) -> etree.XPath:
    """A rule's CSS selector as a compiled XPath over the lxml tree (cssselect's HTML translation).

    Raises :class:`cssselect.SelectorError` on a malformed selector.
    """
    return etree.XPath(HTMLTranslator().css_to_xpath(selector))


# every rule's selectors, compiled once at import: matching a rule is a few XPath runs over the tree
_SELECTORS: dict[str, etree.XPath] = {
    selector: compile_selector(selector)
    for rule in (*LINKED_MARKUPS, *INLINE_MARKUPS)
    for selector in ((rule.refs, rule.notes, rule.body, rule.drop) if isinstance(rule, LinkedMarkup)
                     else (rule.markers, rule.note, rule.unit))
    if selector
}


def match_rules(root: etree._Element) -> RuleHits:
    """Match the rules of the markups whose hint the page holds; other pages cost one XPath."""
    values = f" {' '.join(_HINT_VALUES(root))} "  # spaces around every value: " fn " finds the token
    linked = [r for r in LINKED_MARKUPS if any(h in values for h in r.hints)]
    inline = [r for r in INLINE_MARKUPS if any(h in values for h in r.hints)]
    hits = RuleHits()
    if not linked and not inline:
        return hits

    def select(selector: str) -> list[etree._Element]:
        return _SELECTORS[selector](root) if selector else []

    for rule in linked:
        hits.refs.update(select(rule.refs))
        hits.notes.update(select(rule.notes))
        hits.bodies.update(select(rule.body))
        hits.drops.update(select(rule.drop))
    for rule in inline:
        hits.inline.append((rule, select(rule.markers), select(rule.note), set(select(rule.unit))))
    return hits


def _inline_note(marker: etree._Element, notes: set, ids: dict[str, etree._Element]) -> etree._Element | None:
    """The note of an inline marker: inside it, right after it, or the element it refers to."""
    for el in marker.iterdescendants():
        if el in notes:
            return el
    nxt = marker.getnext()
    if (nxt is not None and nxt.tag == "input" and not (marker.tail or "").strip()
            and nxt.get("id") and nxt.get("id") == marker.get("for")):
        marker = nxt  # Tufte CSS: label, then the checkbox it toggles, then the note
        nxt = marker.getnext()
    if nxt is not None and nxt in notes and not (marker.tail or "").strip():
        return nxt
    for el in marker.iter():
        for attr in REFERRING_ATTRIBUTES:
            target = ids.get((el.get(attr) or "").split(" ")[0])
            if target is not None and target in notes:
                return target
    return None


def _label_outside(marker: etree._Element, note: etree._Element) -> str:
    """The text of ``marker`` without the text of ``note`` nested in it, as a label."""
    parts = [marker.text or ""]
    for child in marker:
        if child is not note:
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return clean_label(" ".join("".join(parts).split()))


def _bare_inline(note: etree._Element, linked: set[str]) -> bool:
    """Whether a note span without a marker sits inside prose (not a list item of linked notes)."""
    if any(el.get("id") in linked for el in [note, *note.iterancestors()]):
        return False
    parent = note.getparent()
    return parent is not None and len(_text(parent)) > len(_text(note))


def _take_inline(hits: RuleHits, ids: dict[str, etree._Element], result: NoteSet, used: dict,
                 linked: set[str]) -> None:
    """Read inline notes: the note leaves the paragraph, the marker becomes a token.

    A note span without a marker (its number drawn by CSS) stands for its own marker: it is
    numbered in page order, with a confidence below 1.
    """
    for rule, markers, in_order, units in hits.inline:
        notes, taken = set(in_order), set()
        counted = 0
        pairs = [(m, _inline_note(m, notes, ids)) for m in markers
                 if not any(anc in notes for anc in m.iterancestors())]
        pairs = [(m, n) for m, n in pairs if n is not None]
        claimed = {id(n) for _m, n in pairs}
        pairs += [(n, n) for n in in_order if id(n) not in claimed and _bare_inline(n, linked)]
        for marker, note in pairs:
            if marker.getparent() is None or note.getparent() is None or note in taken:
                continue
            taken.add(note)
            label = _label_outside(marker, note) if marker is not note else ""
            if rule.counter is not None:
                counted += 1
                label = f"{rule.counter}{counted}"
            elif not label or len(label) > MAX_LABEL_CHARS:
                label = str(len(result.notes) + 1)
                result.confidence[label] = 0.8
            if label in used:
                result.warnings.append(f"footnote label {label!r} used by two different notes; second kept as "
                                       f"{label}#2")
                label = f"{label}#2"
            used[label] = note
            result.notes.append((label, note_body(note, label, set(), hits.drops)))
            unit = next((u for u in [marker, *marker.iterancestors()] if u in units), marker)
            if unit is not note and not any(anc is unit for anc in note.iterancestors()):
                _drop(note)
            index = len(result.labels)
            result.labels[index] = label
            _replace_with_text(unit, html_token(index))


def _referred(el: etree._Element) -> str | None:
    """The id a marker refers to by ``href="#id"`` or by a referring attribute."""
    frag = _fragment(el.get("href")) if el.tag == "a" else None
    if frag:
        return frag
    for attr in REFERRING_ATTRIBUTES:
        value = (el.get(attr) or "").split(" ")[0]
        if value:
            return value
    return None


def _confirmed(a: etree._Element, note: etree._Element) -> bool:
    """Whether ``note`` links back to reference ``a`` (a back-link confirms the pair)."""
    keys = _keys(a)
    return bool(keys) and any(_fragment(x.get("href")) in keys for x in note.iter("a"))


def _candidates(root: etree._Element, ids: dict[str, etree._Element], hits: RuleHits,
                position) -> list[tuple[etree._Element, etree._Element, etree._Element, str]]:
    """``(marker, target, note element, label)`` for every marker that is a note reference."""
    found = []
    referring = " or ".join(f"@{attr}" for attr in REFERRING_ATTRIBUTES)
    for a in root.xpath(f"//a[contains(@href, '#')]|//a[{referring}]|//sup[{referring}]"):
        key = _referred(a)
        target = ids.get(key) if key else None
        if target is None:
            continue
        label = clean_label(_text(a))
        if not label or len(label) > MAX_LABEL_CHARS:
            continue
        if a in hits.drops or any(anc in hits.notes or anc in hits.bodies for anc in a.iterancestors()):
            continue  # a label or back-link inside a known markup's note
        by_rule = a in hits.refs
        note = next((el for el in [target, *target.iterancestors()] if el in hits.notes), None)
        if note is None:  # a link's target sits in its note; an element referred to is the note
            note = _note_element(target) if _fragment(a.get("href")) else target
        if note is a or note.tag in ("body", "html") or any(anc is note for anc in a.iterancestors()):
            continue
        if len(_text(note)) > MAX_NOTE_CHARS:
            continue
        if not by_rule and _is_section(note):
            continue  # an in-page link to a section (a table of contents), not to a note
        structural = by_rule or _structural(a)
        if not structural:
            if not (_is_ref_anchor(a) or _confirmed(a, note)):
                continue
            if position(note) < position(a):  # generic markers point forward to their notes
                continue
        found.append((a, target, note, label))
    return found


_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def _is_section(el: etree._Element) -> bool:
    """A document section (it has a heading, or is a ``section`` / ``div.section``), which no note is."""
    if el.tag == "section" or "section" in (el.get("class") or "").split():
        return True
    return next(el.iter(*_HEADINGS), None) is not None


def _split_text(block: etree._Element, targets: list[etree._Element], backlink_ids: set[str],
                drops: set) -> tuple[str, list[str]]:
    """The text of ``block`` before the first target, and from each target to the next."""
    pieces: list[list[str]] = [[]]
    starts = set(targets)

    def walk(el: etree._Element) -> None:
        if el in starts:
            pieces.append([])
        if not isinstance(el.tag, str) or _is_dropped(el, backlink_ids, drops) and el is not block:
            return
        pieces[-1].append(el.text or "")
        for child in el:
            walk(child)
            if child.tag in _BLOCKS:
                pieces[-1].append(" ")
            pieces[-1].append(child.tail or "")

    walk(block)
    texts = [" ".join("".join(p).split()) for p in pieces]
    return texts[0], texts[1:]


def _truncate_from(block: etree._Element, start: etree._Element) -> None:
    """Remove from ``block`` the child holding ``start`` and every child after it."""
    child = start
    while child.getparent() is not None and child.getparent() is not block:
        child = child.getparent()
    while child is not None:
        nxt = child.getnext()
        child.tail = None
        _drop(child)
        child = nxt


def _note_keys(found, hits: RuleHits) -> tuple[dict[int, object], dict[etree._Element, list]]:
    """One key per note: its element, or ``(block, target)`` when targets share one block."""
    targets: dict[etree._Element, list] = {}
    for _a, target, note, _label in found:
        if target not in targets.setdefault(note, []):
            targets[note].append(target)
    split = {note: ts for note, ts in targets.items()
             if len(ts) > 1 and note not in ts}
    keys = {i: (note, target) if note in split else note for i, (_a, target, note, _l) in enumerate(found)}
    return keys, split


def _read_notes(found, keys, split, note_label, backlink_ids, hits: RuleHits, result: NoteSet, position) -> list:
    """Append ``(label, body)`` for every note in page order; returns the removal plan."""
    segments: dict[object, str] = {}
    plan: list = []
    for block, ts in split.items():
        pre, texts = _split_text(block, sorted(ts, key=position), backlink_ids, hits.drops)
        segments.update(((block, t), text) for t, text in zip(sorted(ts, key=position), texts))
        plan.append((block, None if not pre or NOTES_HEADING_RE.match(pre) else min(ts, key=position)))
    all_targets = {t for _a, t, _n, _l in found}
    for key in sorted(note_label, key=lambda k: position(k[1] if isinstance(k, tuple) else k)):
        label = note_label[key]
        if isinstance(key, tuple):
            body = clean_body(segments.get(key, ""), label)
            result.confidence[label] = 0.9
        else:
            body = note_body(key, label, backlink_ids, hits.drops)
            nxt = key.getnext()
            if not body and nxt is not None and not any(t in all_targets for t in nxt.iter()):
                # a label-only block (legal databases): the text is the block after it
                body = note_body(nxt, label, backlink_ids, hits.drops)
                if nxt not in hits.bodies:
                    result.confidence[label] = 0.9
                plan.append((nxt, None))
            plan.append((key, None))
        if not body:
            result.warnings.append(f"footnote {label!r}: its note has no text")
        result.notes.append((label, body))
    return plan


def take_footnotes(root: etree._Element) -> NoteSet:
    """Find references and notes in ``root``; replace references by tokens, remove notes."""
    result = NoteSet()
    ids: dict[str, etree._Element] = {}
    for el in _ID_HOLDERS(root):
        key = el.get("id") or (el.get("name") if el.tag == "a" else None)
        if key and key not in ids:
            ids[key] = el
    hits = match_rules(root)
    used: dict[str, object] = {}
    if hits.inline:
        linked = {frag for frag in map(_fragment, root.xpath("//a/@href", smart_strings=False)) if frag}
        _take_inline(hits, ids, result, used, linked)
    order: dict[etree._Element, int] = {}

    def position(el: etree._Element) -> int:
        if not order:
            order.update((node, i) for i, node in enumerate(root.iter()))
        return order.get(el, 0)

    if ids:
        _take_linked(root, ids, hits, result, used, position)
    _take_numbered(root, result, used, position)
    return result


def _take_linked(root: etree._Element, ids: dict[str, etree._Element], hits: RuleHits, result: NoteSet,
                 used: dict, position) -> None:
    """Read the notes that markers link or refer to: markers become tokens, notes leave the tree."""
    found = _candidates(root, ids, hits, position)
    notes_set = {note for _a, _t, note, _l in found}
    # anchors inside notes are backlinks or nested references, not markers
    found = [f for f in found if not any(anc in notes_set for anc in f[0].iterancestors())]
    if not found:
        return
    keys, split = _note_keys(found, hits)
    refs = [(a, keys[i], label) for i, (a, _t, _n, label) in enumerate(found)]
    backlink_ids = _backlink_targets([a for a, _, _ in refs])
    note_label = _assign_labels(refs, result.warnings, used)
    plan = _read_notes(found, keys, split, note_label, backlink_ids, hits, result, position)

    first = len(result.labels)
    index_of = {id(a): i for i, (a, _, _) in enumerate(refs, start=first)}
    done: set[int] = set()
    for i, (a, key, _) in enumerate(refs, start=first):
        result.labels[i] = note_label[key]
        unit = _ref_unit(a, index_of)
        if unit is a:
            _replace_with_text(a, html_token(i))
        elif id(unit) not in done:
            done.add(id(unit))
            toks = "".join(html_token(index_of[id(b)]) for b in unit.iter("a") if id(b) in index_of)
            _replace_with_text(unit, toks)

    for el, start in plan:
        if el.getparent() is not None and start is not None:
            _truncate_from(el, start)
    _remove_notes([el for el, start in plan if start is None])


# ---------------------------------------------------------------- bare <sup>N</sup> over a numbered list

_BARE_LABEL_RE = re.compile(r"^\[?(\d{1,3})\]?$")
# what an exponent follows: a number, or a unit after one ("10<sup>3</sup>", "2,000 m<sup>2</sup>", "m/s<sup>2</sup>")
_EXPONENT_AFTER_RE = re.compile(r"(?:\d|\d\s*[^\W\d_]{1,3}(?:/[^\W\d_]{1,3})?)\s*$")
# how a note of a numbered list starts: "1. ", "[1] ", "(1) ", "1) ", "1 " (a leading <sup>1</sup> reads "1 ")
_NOTE_START_RE = re.compile(r"^[\[(]?(\d{1,3})[\]).:]?(?=\s)")
_NOTE_BLOCKS = frozenset({"p", "div", "li", "dd"})
BARE_NOTE_CONFIDENCE = 0.9


def _text_before(el: etree._Element) -> str:
    """The last characters of text right before ``el``."""
    prev = el.getprevious()
    if prev is None:
        parent = el.getparent()
        return (parent.text or "")[-20:] if parent is not None else ""
    return (prev.tail or "")[-20:] or _text(prev)[-20:]


def _leading_text(el: etree._Element, chars: int = 8) -> str:
    """The first words of ``el``'s text (at least ``chars`` characters of it when it has them)."""
    parts: list[str] = []
    size = 0
    for piece in el.itertext():
        parts.append(piece)
        size += len(piece.strip())
        if size >= chars:
            break
    return " ".join("".join(parts).split())


def _bare_markers(root: etree._Element) -> list[tuple[etree._Element, int]]:
    """``<sup>N</sup>`` (or ``[N]``) in page order that no link is in or around and that is no exponent."""
    found = []
    for sup in root.iter("sup"):
        m = _BARE_LABEL_RE.match(_text(sup))
        if (m and next(sup.iter("a"), None) is None and not any(el.tag == "a" for el in sup.iterancestors())
                and not _EXPONENT_AFTER_RE.search(_text_before(sup))):
            found.append((sup, int(m.group(1))))
    return found


def _numbered_lists(root: etree._Element) -> list[list[tuple[int, etree._Element]]]:
    """Lists that may hold notes 1…n: every ``ol`` (items numbered from ``start``) and every run of
    sibling blocks whose texts start with 1, 2, 3… ("1. ", "[2] ", a leading ``<sup>3</sup>``)."""
    lists = []
    for ol in root.iter("ol"):
        start = int(ol.get("start")) if (ol.get("start") or "").isdigit() else 1
        items = [li for li in ol if li.tag == "li"]
        if items:
            lists.append([(start + k, li) for k, li in enumerate(items)])
    for parent in root.iter():
        run: list[tuple[int, etree._Element]] = []
        for child in [*parent, None]:
            m = _NOTE_START_RE.match(_leading_text(child)) if child is not None and child.tag in _NOTE_BLOCKS else None
            label = int(m.group(1)) if m else None
            if label is not None and label == len(run) + 1:
                run.append((label, child))
                continue
            if run:
                lists.append(run)
            run = [(1, child)] if label == 1 else []
    return lists


def _take_numbered(root: etree._Element, result: NoteSet, used: dict, position) -> None:
    """Read notes that bare ``<sup>N</sup>`` markers point to by number only (no link, no id).

    The notes are a numbered list after the first marker (an ``ol``, or blocks "1. …", "2. …")
    holding exactly the notes 1…n the markers name, each marker in sequence (a new label is the
    next number; an earlier one is a note cited again). Anything less is no match: the page is
    left as it is. Notes read so carry :data:`BARE_NOTE_CONFIDENCE`.
    """
    markers = _bare_markers(root)
    if not markers:
        return
    for notes in sorted(_numbered_lists(root), key=len, reverse=True):
        inside = {id(el) for _label, note in notes for el in note.iter()}
        accepted, expected = [], 1
        for sup, label in markers:
            if id(sup) in inside or position(sup) > position(notes[0][1]):
                continue
            if label == expected:
                expected += 1
            elif label > expected:
                continue  # out of sequence: an exponent or a number of something else
            accepted.append((sup, label))
        labels = [label for label, _note in notes]
        if not accepted or labels != list(range(1, expected)) or any(str(n) in used for n in labels):
            continue
        for label, note in notes:
            result.notes.append((str(label), note_body(note, str(label), set())))
            result.confidence[str(label)] = BARE_NOTE_CONFIDENCE
            used[str(label)] = note
        for sup, label in accepted:
            index = len(result.labels)
            result.labels[index] = str(label)
            _replace_with_text(sup, html_token(index))
        _remove_notes([note for _label, note in notes])
        return


def _remove_notes(notes: list[etree._Element]) -> None:
    """Remove notes, then climb from each container removing those left empty and their "Notes" heading.

    All notes go first: a list of 300 notes is checked for emptiness once, not after every note.
    """
    parents: dict[int, etree._Element] = {}
    for note in notes:
        if note.tag == "dt":
            dd = note.getnext()
            if dd is not None and dd.tag == "dd" and dd.getparent() is not None:
                _drop(dd)
        parent = note.getparent()
        if parent is not None:
            _drop(note)
            parents.setdefault(id(parent), parent)
    for el in parents.values():
        while el is not None and el.getparent() is not None and el.tag not in ("body", "html") \
                and _is_empty_container(el):
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
