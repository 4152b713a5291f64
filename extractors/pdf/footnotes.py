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
_ENDS_SENTENCE_RE = re.compile(r"[.;:!?)\]\"”’]\s*$")
_OPENS_SENTENCE_RE = re.compile(r"^[\"“‘(\[]?[A-Z\u00C0-\u024F\u0370-\u1FFF]")


@dataclass
class Note:
    """A note body being assembled: label, text parts and the page it starts on."""

    label: str
    page: int
    parts: list[str] = field(default_factory=list)
    # Unique within the document: the label, or "label~n" in the n-th numbering restart.
    key: str = ""
    # Where the label sits on its page (a link's destination is matched against it).
    x: float | None = None
    y: float | None = None
    # Opened out of sequence (a cited note set after later ones, moved to a later page), or at a
    # plain number inside a line: the split is an inference.
    deferred: bool = False
    # The last line that carries the note on after its label line (None while it has none).
    continuation: Line | None = None

    @property
    def text(self) -> str:
        """The note's text with its lines joined."""
        return join_lines(self.parts)


def line_pieces(line: Line) -> list[tuple[str, str]]:
    """The line as ``("text", s)`` and ``("sup", label)`` pieces, spaces restored between runs.

    Also sets ``line.sup_xy``: the page position of each ``"sup"`` piece, in order.
    """
    pieces: list[tuple[str, str]] = []
    line.sup_xy = []
    prev = None
    for run in line.runs:
        raw = run.text
        label = raw.strip()
        if label and line.is_superscript(run):
            labels = [p for p in re.split(r"[,\s]+", label) if p]
            if labels and all(NOTE_LABEL_RE.match(p) for p in labels):
                pieces.extend(("sup", p) for p in labels)
                line.sup_xy.extend((run.x, run.y) for _ in labels)
                prev = run
                continue
        if prev is not None and pieces and pieces[-1][0] == "text" and raw[:1] != " " \
                and not pieces[-1][1].endswith(" ") and word_gap(prev, run):
            raw = " " + raw
        split = _split_unicode_superscripts(raw)
        pieces.extend(split)
        line.sup_xy.extend((run.x, run.y) for kind, _ in split if kind == "sup")
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
    """The lines that open notes: ``{index: (label, text)}`` (:func:`note_starts` without
    notes run together on one line)."""
    return note_starts(lines, body_size, under_rule, cited, expected).lines


@dataclass
class Starts:
    """Where the notes of a note area open."""

    # line index -> (label, text after it), for notes opening a line
    lines: dict[int, tuple[str, str]] = field(default_factory=dict)
    # (line index, piece index) of raised labels opening a note inside a line
    inline: set[tuple[int, int]] = field(default_factory=set)
    # line indexes of notes opened out of sequence (cited earlier, set after later notes)
    deferred: set[int] = field(default_factory=set)


def _inline_candidates(lines: list[Line]) -> list[tuple[int, int, int, bool]]:
    """Numeric labels inside a line, after text: ``(line, piece, number, after a stop)``.

    Raised labels, and plain ones (``"lab"`` pieces, :func:`mark_text_labels`).
    """
    out = []
    for k, line in enumerate(lines):
        seen_text = ""
        for j, (kind, value) in enumerate(line.pieces):
            if kind in ("sup", "lab") and value.isdigit() and seen_text.strip():
                out.append((k, j, int(value), bool(_ENDS_SENTENCE_RE.search(seen_text))))
            if kind != "sup":
                seen_text += value
    return out


# A plain number between a sentence's end and a capital: the label of a note run in after another.
_TEXT_INLINE_LABEL_RE = re.compile(
    r"(?<=[.;:!?)\]\"”’] )(\d{1,3})(?= [\"“‘(\[]?[A-Z\u00C0-\u024F\u0370-\u1FFF]|\s*$)")


def mark_text_labels(lines: list[Line]) -> None:
    """Split out plain numbers that may label a note run in after another one (CSS
    ``footnote-display: inline``) as ``("lab", number)`` pieces; their text is unchanged."""
    for line in lines:
        out: list[tuple[str, str]] = []
        for kind, value in line.pieces:
            if kind != "text" or not _TEXT_INLINE_LABEL_RE.search(value):
                out.append((kind, value))
                continue
            pos = 0
            for m in _TEXT_INLINE_LABEL_RE.finditer(value):
                out += [("text", value[pos : m.start()]), ("lab", m.group(1))]
                pos = m.end()
            out.append(("text", value[pos:]))
        line.pieces = [p for p in out if p[1]]


def note_starts(lines: list[Line], body_size: float, under_rule: bool, cited: set[str],
                expected: int | None, inline: bool = False, found: set[str] | None = None) -> Starts:
    """Where notes open in ``lines``.

    Every line that could open a note (:func:`note_start`) is a candidate,
    and with ``inline`` (inside a note area) so is every raised number after
    text in a line (notes run together in one paragraph, as footmisc ``para``
    sets them). Of the numbered candidates only the longest chain of
    consecutive labels down the area is kept (a chain scores more when its
    labels are cited in the text, raised, open a line, or start at
    ``expected``, the label after the last note so far). Where the chosen
    line starts share a left edge and the lines between them sit elsewhere (a
    hanging or first-line indent), a candidate at the continuation edge is not
    a start either. A wrapped line of a note that happens to begin with a
    number ("5 and 40 percent", "1) The State…", "5. To publish…") therefore
    stays in its note.

    A line set like the chain's starts whose label is cited, comes before the
    chain's first and is not among the ``found`` labels is a note moved to a
    later page and set out of order; it opens a note too (marked deferred).
    """
    cands = {i: st for i, ln in enumerate(lines) if (st := note_start(ln, body_size, under_rule)) is not None}
    # (position, number, own score); positions are (line, piece), line starts at piece -1
    numbered: list[tuple[tuple[int, int], int, float]] = []
    off_edge = _at_continuation_edge(lines, cands)
    for i, st in cands.items():
        if st[0].isdigit():
            own = 1.0 + (1.0 if _raised_label(lines[i]) else 0.0) - (0.25 if i in off_edge else 0.0)
            numbered.append(((i, -1), int(st[0]), own))
    if inline:
        numbered += [((k, j), num, 0.5 + (0.5 if stop else 0.0) + (1.0 if lines[k].pieces[j][0] == "sup" else 0.0))
                     for k, j, num, stop in _inline_candidates(lines)]
    numbered.sort()
    scores: list[tuple[float, int | None]] = []
    for a, (_, num, own) in enumerate(numbered):
        own += (1.5 if str(num) in cited else 0.0) + (3.0 if expected is not None and num == expected else 0.0)
        best: tuple[float, int | None] = (own, None)
        for b in range(a):
            if numbered[b][1] == num - 1 and scores[b][0] + own > best[0]:
                best = (scores[b][0] + own, b)
        scores.append(best)
    chain: set[tuple[int, int]] = set()
    if numbered:
        a: int | None = max(range(len(numbered)), key=lambda k: scores[k][0])
        while a is not None:
            chain.add(numbered[a][0])
            a = scores[a][1]
    starts = Starts()
    starts.lines = _indent_agrees(lines, {i: st for i, st in cands.items() if (i, -1) in chain or not st[0].isdigit()})
    starts.inline = {pos for pos in chain if pos[1] >= 0}
    _deferred_starts(lines, cands, starts, chain, cited, found or set())
    return starts


def _at_continuation_edge(lines: list[Line], cands: dict[int, tuple[str, str]]) -> set[int]:
    """Candidate lines that start where the area's wrapped lines do, not where its labels do.

    Between two candidates with the same label (a wrapped line "12 May 2002,
    para. 28." and the note "12" under it) the one at the labels' edge wins.
    """
    def common(xs: list[float]) -> float | None:
        counts: dict[int, int] = {}
        for x in xs:
            counts[round(x)] = counts.get(round(x), 0) + 1
        return max(counts, key=counts.get) if counts else None

    if not cands:
        return set()
    label_x = common([lines[i].x0 for i in cands])
    wrap_x = common([ln.x0 for i, ln in enumerate(lines) if i > min(cands) and i not in cands])
    if label_x is None or wrap_x is None or abs(label_x - wrap_x) <= 1:
        return set()
    return {i for i in cands if abs(lines[i].x0 - wrap_x) <= 1}


def _deferred_starts(lines: list[Line], cands: dict[int, tuple[str, str]], starts: Starts,
                     chain: set[tuple[int, int]], cited: set[str], found: set[str]) -> None:
    """Add the notes set out of sequence (see :func:`note_starts`) to ``starts``.

    A candidate line set like the chain's starts (same left edge, size and
    label style) whose label is cited and not yet read opens a note when its
    label comes before the chain's first (a note moved to a later page), or
    when it comes after the chain's last label, above or below the chain,
    follows a line that ends a sentence (or opens the area) and begins with a
    capital (the notes go on after a note moved to a later page).
    """
    chained = [i for i in starts.lines if (i, -1) in chain]
    if not chained:
        return
    nums = [int(starts.lines[i][0]) for i in chained]
    first, last = min(nums), max(nums)
    last_line = max(chained)
    xs = sorted(lines[i].x0 for i in chained)
    x0 = xs[len(xs) // 2]
    raised = sum(_raised_label(lines[i]) for i in chained) * 2 > len(chained)
    size = sorted(lines[i].size for i in chained)[len(chained) // 2]
    for i in sorted(cands):
        label, text = cands[i]
        if i in starts.lines or not label.isdigit() or label not in cited or label in found:
            continue
        if abs(lines[i].x0 - x0) > 2 or _raised_label(lines[i]) != raised or abs(lines[i].size - size) > size * 0.05:
            continue
        num = int(label)
        after_gap = num > last and (i == 0 or _ENDS_SENTENCE_RE.search(lines[i - 1].text)) \
            and _OPENS_SENTENCE_RE.match(text) and (i > last_line or i < min(chained))
        if num < first or after_gap:
            starts.lines[i] = (label, text)
            starts.deferred.add(i)
            found = found | {label}
            if after_gap and i > last_line:
                last, last_line = num, i


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
              open_note: bool, expected: int | None = None, found: set[str] | None = None,
              unfinished: bool = False, set_like: bool = False) -> tuple[int, bool]:
    """Index of the first line of the page's note band (``len(lines)`` when none).

    The flag says whether the band was found under a separator rule.
    ``expected`` is the label that would follow the last note so far, ``found``
    the labels of the current numbering already read, ``unfinished`` whether
    the last note so far stops mid-sentence, ``set_like`` whether the lines
    open set like that note's continuation lines (:func:`set_like_last`).
    """
    lines = page.lines
    n = len(lines)
    if n == 0:
        return 0, False
    rule = _separator(page, body_size, open_note)
    if rule is not None:
        return rule, True
    chained = note_starts(lines, body_size, False, cited, expected, found=found)
    starts = {i: chained.lines.get(i) for i in range(n)}
    if expected is not None and all(ln.size <= body_size * _SMALL for ln in lines):
        # A page (or column) of notes only, carried over from the page before.
        first = min(chained.lines, default=None)
        label = chained.lines[first][0] if first is not None else None
        pending = label is not None and label in cited and label not in (found or set())
        if first is None and (unfinished or set_like) or \
                (label == str(expected) or pending) and (first == 0 or open_note):
            return 0, False
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
        if i not in chained.deferred:
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
        if x1 - x0 > page.width * 0.7 or y > page.bottom + page.height * 0.9:  # long notes reach high
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


def unfinished(notes: list[Note]) -> bool:
    """Whether the last note so far stops mid-sentence (it goes on at the next page)."""
    return bool(notes) and not _ENDS_SENTENCE_RE.search(notes[-1].text)


def set_like_last(notes: list[Note], lines: list[Line]) -> bool:
    """Whether ``lines`` open set like the last note's continuation lines: same font, size and left edge.

    A note that breaks at a sentence end and goes on at the top of the next
    page (alone there) is told from other small print by this.
    """
    last = notes[-1].continuation if notes else None
    if last is None or not lines:
        return False
    first = lines[0]
    return first.font == last.font and abs(first.size - last.size) < 0.2 and abs(first.x0 - last.x0) < 1.0


def found_labels(notes: list[Note]) -> set[str]:
    """The labels of the current numbering (since the last note "1") read so far."""
    last_one = max((k for k, n in enumerate(notes) if n.label == "1"), default=0)
    return {n.label for n in notes[last_one:]}


def next_label(notes: list[Note]) -> int | None:
    """The label after the highest of the current numbering (since the last note "1")."""
    last_one = max((k for k, n in enumerate(notes) if n.label == "1"), default=0)
    nums = [int(n.label) for n in notes[last_one:] if n.label.isdigit()]
    return max(nums) + 1 if nums else None


def collect_notes(page: PageLayout, zone: int, body_size: float, under_rule: bool,
                  notes: list[Note], cited: set[str] | None = None) -> None:
    """Append the notes of ``page.lines[zone:]`` to ``notes``, joining continuations.

    Notes open only where :func:`note_starts` says (at a line's start, or at a
    label inside a line when notes run together), and a label written as
    plain text (not raised) at a line's start only when it is the next number
    after the notes so far, or a cited label not yet read (a note set out of
    sequence), so a wrapped line that happens to begin with a number ("15 and
    21.") stays in its note.
    """
    lines = page.lines[zone:]
    mark_text_labels(lines)
    expected = next_label(notes)
    cited = cited or set()
    found = found_labels(notes)
    starts = note_starts(lines, body_size, under_rule, cited, expected, inline=True, found=found)
    chained = sorted(int(st[0]) for i, st in starts.lines.items() if st[0].isdigit() and i not in starts.deferred)
    expected = _next_in_chain(expected, chained, cited)
    # Numbering may start again on a new page (notes numbered per page) when the page cites a "1".
    restart_ok = bool(notes) and notes[-1].page != page.number and any(
        kind == "sup" and value == "1" for line in page.lines[:zone] for kind, value in line.pieces)
    for k, line in enumerate(lines):
        start = starts.lines.get(k)
        moved = start is not None and start[0].isdigit() and start[0] in cited and start[0] not in found \
            and expected is not None and int(start[0]) < expected  # cited, never read: moved to this page
        if start is not None and notes and not _raised_label(line) and k not in starts.deferred and not moved \
                and expected is not None and start[0] != str(expected) and not (restart_ok and start[0] == "1"):
            start = None
        if start is not None and start[0] == "1":
            restart_ok = False
        pieces = list(enumerate(line.pieces))
        before = len(notes)
        if start is not None:
            notes.append(Note(start[0], page.number, [], x=line.x0, y=line.y, deferred=k in starts.deferred or moved))
            pieces = _after_label(pieces)
        if notes:
            _run_in_notes(notes, page.number, line, pieces, {j for kk, j in starts.inline if kk == k})
            if start is None and len(notes) == before:
                notes[-1].continuation = line
        found.update(n.label for n in notes[before:])
        if notes and notes[-1].label.isdigit():
            expected = _next_in_chain(next_label(notes), chained, cited)


def _next_in_chain(expected: int | None, chained: list[int], cited: set[str]) -> int | None:
    """The label the next plain-text note label must carry: ``expected``, or when the area has no
    note ``expected`` (it was moved to a later page), the area's next cited chain label after it."""
    if expected is None or expected in chained:
        return expected
    later = [c for c in chained if c > expected]
    return later[0] if later and str(later[0]) in cited else expected


def _after_label(pieces: list[tuple[int, tuple[str, str]]]) -> list[tuple[int, tuple[str, str]]]:
    """The (index, piece) pairs of a note's first line after its label (raised, or written as text)."""
    rest = list(pieces)
    while rest and rest[0][1][0] == "text" and not rest[0][1][1].strip():
        rest.pop(0)
    if rest and rest[0][1][0] == "sup":
        return rest[1:]
    m = _TEXT_LABEL_RE.match(pieces_text([p for _, p in rest]))
    drop = m.end() if m else 0
    out: list[tuple[int, tuple[str, str]]] = []
    for j, (kind, value) in rest:
        if drop >= len(value):
            drop -= len(value)
            continue
        out.append((j, (kind, value[drop:])))
        drop = 0
    return out


def _run_in_notes(notes: list[Note], page: int, line: Line, pieces: list[tuple[int, tuple[str, str]]],
                  split_at: set[int]) -> None:
    """Add one line's pieces to the last note; a raised label at a piece index in ``split_at``
    opens a new note there (notes run together in one paragraph, as footmisc ``para`` sets them)."""
    current: list[tuple[str, str]] = []
    sup_index = {j: n for n, j in enumerate(j for j, (kind, _) in enumerate(line.pieces) if kind == "sup")}
    for j, (kind, value) in pieces:
        if j in split_at:
            notes[-1].parts.append(pieces_text(current))
            xy = line.sup_xy[sup_index[j]] if sup_index.get(j, len(line.sup_xy)) < len(line.sup_xy) else (None, line.y)
            notes.append(Note(value, page, [], x=xy[0], y=line.y, deferred=kind == "lab"))
            current = []
            continue
        current.append((kind, value))
    notes[-1].parts.append(pieces_text(current))
