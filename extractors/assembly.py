"""Building canonical text with footnote markers, shared by every format.

Extractors write their paragraphs with markers inlined as ``marker(label)``
(private-use sentinels that never occur in real text). :func:`assemble`
normalizes the paragraphs, removes the markers and remembers where each stood,
so offsets always refer to the final canonical text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from extractors.record import Footnote, Marker
from extractors.text.markers import MARK_CLOSE, MARK_OPEN, MARK_RE, marker  # noqa: F401 - re-exported
from extractors.text.sentences import sentence_at

_SPACE_RE = re.compile(r"[^\S\n]+|\n")
# Zero-width and soft characters that carry no text.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\ufeff"), None)


def normalize_paragraph(text: str) -> str:
    """NFC, invisible characters dropped, every whitespace run one space."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    return _SPACE_RE.sub(" ", text).strip()


def assemble(paragraphs: Iterable[str]) -> tuple[str, list[tuple[str, int]]]:
    """Join paragraphs into canonical text; return it and ``(label, offset)`` markers.

    Empty paragraphs are dropped. A marker standing between two spaces takes
    one of them with it, so no double space is left behind.
    """
    out: list[str] = []
    markers: list[tuple[str, int]] = []
    length = 0
    for raw in paragraphs:
        para = normalize_paragraph(raw)
        pieces: list[str] = []
        plen = 0
        pos = 0
        local: list[tuple[str, int]] = []
        for m in MARK_RE.finditer(para):
            chunk = para[pos : m.start()]
            if chunk.endswith(" ") and para[m.end() : m.end() + 1] in (" ", ""):
                chunk = chunk[:-1]
            if not pieces and not chunk.strip():
                chunk = ""
            pieces.append(chunk)
            plen += len(chunk)
            local.append((m.group(1), plen))
            pos = m.end()
        tail = para[pos:]
        if not pieces:
            tail = tail.lstrip()
        pieces.append(tail)
        text = "".join(pieces).rstrip()
        if not text:
            continue
        if out:
            length += 2
        markers.extend((label, length + min(off, len(text))) for label, off in local)
        out.append(text)
        length += len(text)
    return "\n\n".join(out), markers


def link_footnotes(
    text: str,
    markers: list[tuple[str, int]],
    notes: list[tuple[str, str]],
    pages: dict[str, int | None] | None = None,
    marker_pages: list[int | None] | None = None,
    confidence: float = 1.0,
) -> list[Footnote]:
    """Make :class:`Footnote` records from markers and ``(label, body)`` notes.

    Notes are ordered by their first marker; notes without any marker follow
    in their own order (they are kept, never dropped). Markers whose label has
    no note are ignored by this function; callers that care warn about them.
    Citations are parsed from each body, with "Ibid." and friends resolved.
    """
    from extractors.citations import parse_notes

    bodies = {label: body for label, body in notes}
    by_label: dict[str, Footnote] = {}
    ordered: list[Footnote] = []
    for i, (label, offset) in enumerate(markers):
        if label not in bodies:
            continue
        page = marker_pages[i] if marker_pages else None
        mark = Marker(offset=offset, context=sentence_at(text, offset), page=page)
        if label not in by_label:
            note = Footnote(label=label, text=bodies[label], confidence=confidence)
            note.page = (pages or {}).get(label, page)
            by_label[label] = note
            ordered.append(note)
        by_label[label].markers.append(mark)
    for label, body in notes:
        if label not in by_label:
            note = Footnote(label=label, text=body, page=(pages or {}).get(label))
            by_label[label] = note
            ordered.append(note)
    for note, cites in zip(ordered, parse_notes([(n.label, n.text) for n in ordered])):
        note.citations = cites
    return ordered
