"""HTML fragments built in Python (everything from a document escaped with markupsafe).

- :func:`text_with_notes`: the canonical text in paragraphs with each footnote marker, at its offset,
  as a ``<details>`` that opens the note in place (no JavaScript).
- :func:`highlight`: a search snippet with its ``[matched]`` words in ``<mark>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from markupsafe import Markup, escape

from storage.models import StoredFootnote

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_MATCH = re.compile(r"\[([^\[\]]+)\]")


def highlight(snippet: str) -> Markup:
    """``snippet`` escaped, each bracketed match (as :mod:`storage.search.snippets` marks it) in ``<mark>``."""
    escaped = str(escape(snippet))
    return Markup(_MATCH.sub(lambda m: f"<mark>{m.group(1)}</mark>", escaped))


def citation_links(note: StoredFootnote, titles: dict[int, str]) -> Markup:
    """A list of the note's citations, each resolved one linked to the archived document it names."""
    items = []
    for cit in note.citations:
        if cit.cited_document_id is None:
            continue
        label = titles.get(cit.cited_document_id) or f"document {cit.cited_document_id}"
        items.append(Markup('<li><a class="cite" href="/documents/{0}" dir="auto">{1}</a> '
                            '<span class="muted">(archived document {0})</span></li>')
                     .format(cit.cited_document_id, label))
    return Markup('<ul class="cites">{}</ul>').format(Markup("").join(items)) if items else Markup("")


def _marker(note: StoredFootnote, mseq: int, titles: dict[int, str]) -> Markup:
    return Markup('<details class="fn" id="ref-{seq}-{m}"><summary title="note {label}">{label}</summary>'
                  '<span class="fn-body" dir="auto"><span class="fn-label">{label}</span> {text}{cites}'
                  ' <a class="fn-all" href="#note-{seq}">all notes</a></span></details>').format(
        seq=note.seq, m=mseq, label=note.label, text=note.text, cites=citation_links(note, titles))


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for brk in _PARAGRAPH_BREAK.finditer(text):
        spans.append((start, brk.start()))
        start = brk.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def text_with_notes(text: str, notes: Iterable[StoredFootnote], titles: dict[int, str]) -> list[Markup]:
    """The paragraphs of ``text`` (escaped) with each note's markers inserted at their offsets.

    A marker between two paragraphs goes to the end of the earlier one; one past the text, to the last.
    """
    markers = sorted((m.position, note.seq, m.seq, note) for note in notes for m in note.markers
                     if m.position is not None)
    spans = _paragraph_spans(text)
    out: list[Markup] = []
    k = 0
    for index, (start, end) in enumerate(spans):
        limit = spans[index + 1][0] if index + 1 < len(spans) else None
        parts: list[Markup] = []
        pos = start
        while k < len(markers) and (limit is None or markers[k][0] < limit):
            at = min(max(markers[k][0], pos), end)
            parts.append(escape(text[pos:at]))
            parts.append(_marker(markers[k][3], markers[k][2], titles))
            pos = at
            k += 1
        parts.append(escape(text[pos:end]))
        out.append(Markup("").join(parts))
    return out
