"""Footnotes in PDF pages: markers in the body, note bodies in the bottom band.

Markers are superscripts (set smaller than their line and raised above its
baseline, by the text matrix or by text rise) whose text looks like a label,
or Unicode superscript digits. Note bodies sit in a band at the bottom of the
page: below a short horizontal separator rule when there is one, otherwise
the largest run of lines at the bottom that starts with a labelled line (a
superscript label, or a number in a font smaller than the body text) and whose
labels follow each other. Lines of the band before its first label continue
the last note of an earlier page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from extractors.pdf.layout import Line, PageLayout, join_lines, word_gap
from extractors.text.markers import NOTE_LABEL_RE, SUPERSCRIPT_RE, superscript_digits

_TEXT_LABEL_RE = re.compile(r"^\s*(\d{1,3}|[*†‡§¶]{1,3})(?:[.)]?\s+|(?=[A-Z“\"‘(]))(?=\S)")
_SMALL = 0.92


@dataclass
class Note:
    """A note body being assembled: label, text parts and the page it starts on."""

    label: str
    page: int
    parts: list[str] = field(default_factory=list)
    # Unique within the document: the label, or "label~n" in the n-th numbering restart.
    key: str = ""

    @property
    def text(self) -> str:
        """The note's text with its lines joined."""
        return join_lines(self.parts)


def line_pieces(line: Line) -> list[tuple[str, str]]:
    """The line as ``("text", s)`` and ``("sup", label)`` pieces, spaces restored between runs."""
    pieces: list[tuple[str, str]] = []
    prev = None
    for run in line.runs:
        raw = run.text
        label = raw.strip()
        if label and line.is_superscript(run):
            labels = [p for p in re.split(r"[,\s]+", label) if p]
            if labels and all(NOTE_LABEL_RE.match(p) for p in labels):
                pieces.extend(("sup", p) for p in labels)
                prev = run
                continue
        if prev is not None and pieces and pieces[-1][0] == "text" and raw[:1] != " " \
                and not pieces[-1][1].endswith(" ") and word_gap(prev, run):
            raw = " " + raw
        pieces.extend(_split_unicode_superscripts(raw))
        prev = run
    return pieces


def _split_unicode_superscripts(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    for m in SUPERSCRIPT_RE.finditer(text):
        before = text[: m.start()]
        if not before or before[-1].isspace():
            continue  # "²" standing alone is not a marker
        out.append(("text", text[pos : m.start()]))
        out.append(("sup", superscript_digits(m.group(0))))
        pos = m.end()
    out.append(("text", text[pos:]))
    return [p for p in out if p[1]]


def pieces_text(pieces: list[tuple[str, str]]) -> str:
    """Plain text of pieces, superscripts kept as their label."""
    return "".join(text for _, text in pieces)


def note_start(line: Line, body_size: float, under_rule: bool) -> tuple[str, str] | None:
    """``(label, text)`` when ``line`` begins a note, else ``None``."""
    pieces = [p for p in line.pieces]
    while pieces and pieces[0][0] == "text" and not pieces[0][1].strip():
        pieces.pop(0)
    if not pieces:
        return None
    if pieces[0][0] == "sup":
        rest = pieces_text(pieces[1:]).strip()
        return (pieces[0][1], rest) if rest else None
    text = pieces_text(pieces)
    m = _TEXT_LABEL_RE.match(text)
    if m and (line.size <= body_size * _SMALL or under_rule):
        rest = text[m.end() :].strip()
        if rest:
            return m.group(1), rest
    return None


def _raised_label(line: Line) -> bool:
    first = next((k for k, t in line.pieces if k == "sup" or t.strip()), None)
    return first == "sup"


def _consecutive(labels: list[str]) -> bool:
    nums = [int(x) for x in labels if x.isdigit()]
    return all(b == a + 1 for a, b in zip(nums, nums[1:]))


def _has_inner_marker(line: Line, start: bool) -> bool:
    kinds = [k for k, t in line.pieces if k == "sup" or t.strip()]
    first = 1 if start and kinds and kinds[0] == "sup" else 0
    return any(k == "sup" and label.isdigit() for k, label in
               [p for p in line.pieces if p[0] == "sup"][first:])


def label_chain(lines: list[Line], body_size: float, under_rule: bool, cited: set[str],
                expected: int | None) -> dict[int, tuple[str, str]]:
    """The lines that open notes: ``{index: (label, text)}``.

    Every line that could open a note (:func:`note_start`) is a candidate; of
    the numbered ones, only the longest chain of consecutive labels down the
    page is kept (a chain scores more when its labels are cited in the text,
    raised, or start at ``expected``, the label after the last note so far).
    Where the chosen starts share a left edge and the lines between them sit
    elsewhere (a hanging or first-line indent), a candidate at the
    continuation edge is not a start either. A wrapped line of a note that
    happens to begin with a number ("5 and 40 percent", "1) The State…",
    "5. To publish…") therefore stays in its note.
    """
    cands = {i: st for i, ln in enumerate(lines) if (st := note_start(ln, body_size, under_rule)) is not None}
    numbered = [(i, int(st[0])) for i, st in cands.items() if st[0].isdigit()]
    scores: list[tuple[float, int | None]] = []
    for a, (i, num) in enumerate(numbered):
        own = 1.0 + (1.5 if str(num) in cited else 0.0) + (1.0 if _raised_label(lines[i]) else 0.0) \
            + (3.0 if expected is not None and num == expected else 0.0)
        best: tuple[float, int | None] = (own, None)
        for b in range(a):
            if numbered[b][1] == num - 1 and scores[b][0] + own > best[0]:
                best = (scores[b][0] + own, b)
        scores.append(best)
    chain: set[int] = set()
    if numbered:
        a: int | None = max(range(len(numbered)), key=lambda k: scores[k][0])
        while a is not None:
            chain.add(numbered[a][0])
            a = scores[a][1]
    out = {i: st for i, st in cands.items() if i in chain or not st[0].isdigit()}
    return _indent_agrees(lines, out)


def _indent_agrees(lines: list[Line], starts: dict[int, tuple[str, str]]) -> dict[int, tuple[str, str]]:
    """Drop plain-text starts at the continuation indent when starts and continuations differ."""
    if len(starts) < 2:
        return starts
    order = sorted(starts)
    start_x = sorted(lines[i].x0 for i in order)[len(order) // 2]
    between = [lines[k].x0 for a, b in zip(order, order[1:]) for k in range(a + 1, b)
               if lines[k].size <= lines[a].size * 1.05]
    if not between:
        return starts
    cont_x = sorted(between)[len(between) // 2]
    if abs(cont_x - start_x) < 2:
        return starts
    return {i: st for i, st in starts.items()
            if _raised_label(lines[i]) or abs(lines[i].x0 - cont_x) > abs(lines[i].x0 - start_x)}


def find_zone(page: PageLayout, body_size: float, spacing: float, cited: set[str],
              open_note: bool, expected: int | None = None) -> tuple[int, bool]:
    """Index of the first line of the page's note band (``len(lines)`` when none).

    The flag says whether the band was found under a separator rule.
    ``expected`` is the label that would follow the last note so far.
    """
    lines = page.lines
    n = len(lines)
    if n == 0:
        return 0, False
    rule = _separator(page, body_size, open_note)
    if rule is not None:
        return rule, True
    chain = label_chain(lines, body_size, False, cited, expected)
    starts = {i: chain.get(i) for i in range(n)}
    best = n
    limit_y = page.bottom + page.height * 0.75
    labels: list[str] = []
    small_notes = False
    top_small_start: int | None = None
    for i in range(n - 1, -1, -1):
        line = lines[i]
        start = starts[i]
        if line.size > body_size * 1.05 or (_has_inner_marker(line, start is not None)
                                             and line.size > body_size * _SMALL):
            break
        if start is None:
            if small_notes and line.size > body_size * _SMALL:
                break
            continue
        small_notes = small_notes or line.size <= body_size * _SMALL
        labels.insert(0, start[0])
        if not _consecutive(labels):
            break
        if line.size > body_size * _SMALL and start[0] not in cited:
            continue
        if line.y > limit_y:
            break
        prev = lines[i - 1] if i else None
        if line.size <= body_size * _SMALL:
            top_small_start = i
        if prev is None or prev.size > line.size * 1.05 or prev.y - line.y > max(spacing, line.size) * 1.2:
            best = i
    if best == n and top_small_start is not None:
        # The band opens with the continuation of a note from an earlier page, set like the notes.
        best = top_small_start
    if best < n:
        # Small-font lines right above the first label continue an earlier note.
        while best > 0 and lines[best - 1].size <= body_size * _SMALL and starts[best - 1] is None \
                and lines[best - 1].y < limit_y and not _has_inner_marker(lines[best - 1], False):
            best -= 1
    return best, False


def _separator(page: PageLayout, body_size: float, open_note: bool) -> int | None:
    lines = page.lines
    for y, x0, x1 in sorted(page.rules, key=lambda r: -r[0]):
        if x1 - x0 > page.width * 0.7 or y > page.bottom + page.height * 0.75:
            continue
        below = [i for i, ln in enumerate(lines) if ln.y < y]
        above = [ln for ln in lines if ln.y > y + 2]
        if not below or not above or below[0] != len(lines) - len(below):
            continue
        first = lines[below[0]]
        if first.y < y - 4 * max(body_size, first.size):
            continue
        has_start = any(note_start(lines[i], body_size, True) for i in below)
        if note_start(first, body_size, True) or (open_note and has_start) or \
                (open_note and first.size <= body_size * 1.05):
            return below[0]
    return None


def collect_notes(page: PageLayout, zone: int, body_size: float, under_rule: bool,
                  notes: list[Note], cited: set[str] | None = None) -> None:
    """Append the notes of ``page.lines[zone:]`` to ``notes``, joining continuations.

    Notes open only at the lines :func:`label_chain` accepts, and a label written
    as plain text (not raised) only when it is the next number after the
    previous note's, so a wrapped line that happens to begin with a number
    ("15 and 21.") stays in its note.
    """
    lines = page.lines[zone:]
    expected = int(notes[-1].label) + 1 if notes and notes[-1].label.isdigit() else None
    starts = label_chain(lines, body_size, under_rule, cited or set(), expected)
    # Numbering may start again on a new page (notes numbered per page) when the page cites a "1".
    restart_ok = bool(notes) and notes[-1].page != page.number and any(
        kind == "sup" and value == "1" for line in page.lines[:zone] for kind, value in line.pieces)
    for k, line in enumerate(lines):
        start = starts.get(k)
        if start is not None and notes and not _raised_label(line) and notes[-1].label.isdigit() \
                and start[0] != str(int(notes[-1].label) + 1) and not (restart_ok and start[0] == "1"):
            start = None
        if start is not None and start[0] == "1":
            restart_ok = False
        if start is not None:
            notes.append(Note(start[0], page.number, []))
            _run_in_notes(notes, page.number, _after_label(line.pieces))
        elif notes:
            _run_in_notes(notes, page.number, line.pieces)


def _after_label(pieces: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The pieces of a note's first line after its label (raised, or written as text)."""
    rest = list(pieces)
    while rest and rest[0][0] == "text" and not rest[0][1].strip():
        rest.pop(0)
    if rest and rest[0][0] == "sup":
        return rest[1:]
    m = _TEXT_LABEL_RE.match(pieces_text(rest))
    drop = m.end() if m else 0
    out: list[tuple[str, str]] = []
    for kind, value in rest:
        if drop >= len(value):
            drop -= len(value)
            continue
        out.append((kind, value[drop:]))
        drop = 0
    return out


def _run_in_notes(notes: list[Note], page: int, pieces: list[tuple[str, str]]) -> None:
    """Add one line's pieces to the last note; a raised label inside the line that is the next
    number opens a new note there (notes run together in one paragraph, as footmisc ``para``
    sets them)."""
    current: list[tuple[str, str]] = []
    for kind, value in pieces:
        nxt = str(int(notes[-1].label) + 1) if notes[-1].label.isdigit() else None
        if kind == "sup" and value == nxt and pieces_text(current).strip():
            notes[-1].parts.append(pieces_text(current))
            notes.append(Note(value, page, []))
            current = []
            continue
        current.append((kind, value))
    notes[-1].parts.append(pieces_text(current))
