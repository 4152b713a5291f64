"""Page geometry for the PDF extractor: runs, lines, rules, reading order, paragraphs.

pypdf's ``visitor_text`` reports text in runs, each with the text matrix, the
current transformation matrix, the font dictionary and the font size at the
start of the run. :class:`PageCollector` turns those callbacks into
:class:`Run` objects in page coordinates, watches the path operators for thin
horizontal rules (footnote separators) and enforces a deadline inside the
callbacks, so a page that takes too long inside pypdf is abandoned.
"""

from __future__ import annotations

import bisect
import math
import re
import time
import unicodedata
from dataclasses import dataclass, field

from pypdf.generic import FloatObject, NumberObject

try:  # pypdf's font metrics (not exported; without them widths are estimated from character counts)
    from pypdf.generic._font import Font
except ImportError:  # pragma: no cover - a pypdf that moved it
    Font = None  # type: ignore[assignment,misc]

from extractors.pdf.direction import has_rtl, pypdf_mode, rtl_share, visual_to_logical

# Latin ligatures, Arabic presentation forms A and B: folded to plain letters.
_COMPAT_RE = re.compile("[\ufb00-\ufb4f\ufb50-\ufdff\ufe70-\ufefe]+")
_PAINT_OPS = {b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"}
_PATH_OPS = {b"m", b"l", b"re", b"c", b"v", b"y", b"h"}
# A TJ displacement wider than this (thousandths of an em) is a word space;
# narrower ones are kerning, and positive ones tighten: never a space.
WORD_GAP_TJ = 150
_FORCE_SPACE = -100_000.0
# A blank between two runs wider than this share of an em is a word space.
WORD_GAP_EM = 0.14
# Put at the start of every TJ array (a noncharacter, then the operator's number as a
# plane-15 private-use character) and at its end (another noncharacter): pypdf passes
# plain strings through as text, so the marks show where each operator's text starts
# and ends inside the run pypdf assembles (see PageCollector._respace).
_SHOW_MARK = "\uffff"
_SHOW_END = "\ufffe"
_MARK_SPLIT_RE = re.compile("(\uffff[\U000f0000-\U000ffffd]|\ufffe)")
_MARK_RE = re.compile("\uffff[\U000f0000-\U000ffffd]|\ufffe")


class DeadlineExceeded(Exception):
    """Raised from inside pypdf callbacks when the document's time box is spent."""


def normalize_run_text(text: str) -> str:
    """Fold ligatures and Arabic presentation forms to plain letters (NFKC on those only)."""
    text = text.replace("\u00a0", " ")
    return _COMPAT_RE.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)


@dataclass
class Run:
    """One piece of text as pypdf reported it, in page coordinates."""

    text: str
    x: float
    y: float
    size: float
    font: str
    rise: float = 0.0
    # Advance width from the font's metrics, in page units (None when unknown).
    width: float | None = None
    # Emitted by pypdf in right-to-left mode: the text is the glyphs reversed.
    reversed_glyphs: bool = False

    @property
    def end(self) -> float | None:
        """Where the run's last glyph ends (None when the width is unknown)."""
        return None if self.width is None else self.x + self.width


@dataclass
class Line:
    """Runs sharing a baseline, in content-stream order."""

    runs: list[Run]
    y: float = 0.0
    x0: float = 0.0
    size: float = 0.0
    font: str = ""
    column: int = 0
    # Filled by the footnote pass: (kind, text) pieces, kind "text" or "sup" (or "num", a plain
    # number taken for a marker), and where each "sup" piece of :func:`line_pieces` sits, in order.
    pieces: list[tuple[str, str]] = field(default_factory=list)
    sup_xy: list[tuple[float, float]] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The line's text with superscripts inline."""
        return "".join(r.text for r in self.runs).strip()

    def finish(self) -> None:
        """Compute baseline, left edge, dominant size and font from the runs."""
        weights: dict[tuple[float, str], int] = {}
        for run in self.runs:
            key = (round(run.size, 1), run.font)
            weights[key] = weights.get(key, 0) + len(run.text.strip())
        (size, font), _ = max(weights.items(), key=lambda kv: (kv[1], kv[0][0]))
        self.size, self.font = size, font
        big = [r for r in self.runs if r.text.strip() and r.size >= size * 0.95] or self.runs
        self.y = big[0].y
        self.x0 = min(r.x for r in self.runs if r.text.strip())

    def is_superscript(self, run: Run) -> bool:
        """A run set smaller than the line and raised above its baseline (or by text rise)."""
        if run.rise > 0.5 and run.size <= self.size:
            return True
        return run.size <= self.size * 0.85 and run.y - self.y > self.size * 0.15


@dataclass
class PageLayout:
    """The text lines and horizontal rules of one page."""

    number: int
    width: float
    height: float
    bottom: float
    lines: list[Line] = field(default_factory=list)
    rules: list[tuple[float, float, float]] = field(default_factory=list)  # (y, x0, x1)
    # URI link annotations: ((x0, y0, x1, y1), uri).
    links: list[tuple[tuple[float, float, float, float], str]] = field(default_factory=list)
    # Internal link annotations: ((x0, y0, x1, y1), target), see :mod:`extractors.pdf.links`.
    goto: list = field(default_factory=list)


class PageCollector:
    """pypdf visitor callbacks that collect runs and rules under a deadline."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.runs: list[Run] = []
        self.rules: list[tuple[float, float, float]] = []
        self._ops = 0
        self._expired = False
        self._rise = 0.0
        self._pending_rise = 0.0
        self._path: list[tuple[float, float]] = []
        self._widths: dict[int, dict[str, float] | None] = {}
        self._rtl_mode = False
        # Mark number -> (x, y, whether it continues where the text-showing operator before
        # ended, the array's displacements, how many of them pypdf reads as spaces).
        self._marks: dict[int, tuple[float, float, bool, float, int]] = {}
        self._mark_count = 0
        self._show_at: tuple | None = None  # the matrices at the last text-showing operator

    def check(self) -> None:
        """Raise :class:`DeadlineExceeded` once the deadline has passed (and every time after)."""
        if self._expired or time.monotonic() > self.deadline:
            self._expired = True
            raise DeadlineExceeded

    def before(self, op: bytes, args: list, cm: list[float], tm: list[float]) -> None:
        """``visitor_operand_before``: deadline, text rise and path bookkeeping."""
        self._ops += 1
        if self._ops & 511 == 0 or self._expired:
            self.check()
        if op in _PATH_OPS:
            self._path_op(op, args, cm)
        elif op in _PAINT_OPS:
            self._paint()
        elif op == b"n":
            self._path = []
        elif op == b"Ts":
            try:
                self._rise = float(args[0])
            except (IndexError, TypeError, ValueError):
                self._rise = 0.0
        if op == b"TJ" and args:
            shift = tj_shift(args[0])
            normalize_tj(args[0])
            self._mark_show(args[0], cm, tm, shift)
        if op in (b"Tj", b"TJ", b"'", b'"'):
            self._show_at = (*tm, *cm)
        if op in (b"Tj", b"TJ", b"'", b'"') and self._rise > 0:
            self._pending_rise = max(self._pending_rise, self._rise)

    def _mark_show(self, array: object, cm: list[float], tm: list[float], shift: float) -> None:
        """Put numbered marks around a TJ array's text, remembering where the operator starts."""
        if not isinstance(array, list):
            return
        number = self._mark_count % 0xFFFE
        self._mark_count += 1
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        forced = sum(1 for item in array if isinstance(item, FloatObject) and float(item) == _FORCE_SPACE)
        self._marks[number] = (x, y, self._show_at == (*tm, *cm), shift, forced)
        array[:] = [item for item in array if not (isinstance(item, str) and _MARK_RE.fullmatch(item))]
        array.insert(0, _SHOW_MARK + chr(0xF0000 + number))  # a content stream read before keeps its marks
        array.append(_SHOW_END)

    def _font_widths(self, font: object) -> dict[str, float] | None:
        """Advance widths by character (thousandths of an em) of a font dictionary, cached."""
        key = id(font)
        if key not in self._widths:
            if Font is None:
                return None
            try:
                self._widths[key] = unicode_widths(Font.from_font_resource(font))
            except Exception:  # noqa: BLE001 - odd fonts fall back to estimates
                self._widths[key] = None
        return self._widths[key]

    def _path_op(self, op: bytes, args: list, cm: list[float]) -> None:
        try:
            nums = [float(a) for a in args]
        except (TypeError, ValueError):
            return
        pts = []
        if op == b"re" and len(nums) == 4:
            x, y, w, h = nums
            pts = [(x, y), (x + w, y + h)]
        elif len(nums) >= 2:
            pts = [(nums[-2], nums[-1])]
        if len(self._path) > 64:
            return
        for x, y in pts:
            self._path.append((x * cm[0] + y * cm[2] + cm[4], x * cm[1] + y * cm[3] + cm[5]))

    def _paint(self) -> None:
        if self._path:
            xs = [p[0] for p in self._path]
            ys = [p[1] for p in self._path]
            width, height = max(xs) - min(xs), max(ys) - min(ys)
            if height <= 2.0 and width >= 20.0:
                self.rules.append(((max(ys) + min(ys)) / 2, min(xs), max(xs)))
        self._path = []

    def text(self, text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        """``visitor_text``: one run of text at the matrices where it started."""
        if self._expired:
            raise DeadlineExceeded
        rise, self._pending_rise = self._pending_rise, self._rise
        marked = text.replace("\n", "")
        text = _MARK_RE.sub("", marked)
        self._rtl_mode = pypdf_mode(text, self._rtl_mode)
        if not text:
            return
        c = tm[2] * cm[0] + tm[3] * cm[2]
        d = tm[2] * cm[1] + tm[3] * cm[3]
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = math.hypot(c, d) or 1.0
        name = ""
        if font is not None:
            try:
                name = str(font.get("/BaseFont", ""))
            except Exception:  # noqa: BLE001 - odd font dictionaries carry no name
                name = ""
        widths = self._font_widths(font) if font is not None else None
        advance = None
        if widths is not None:
            em = float(size) * scale
            if marked != text and not has_rtl(text):
                text, advance = self._respace(marked, x, y, em, widths)
            else:
                advance = _advance(text, widths, em)
        self.runs.append(Run(normalize_run_text(text), x, y, float(size) * scale, name, rise * scale, advance,
                             self._rtl_mode))

    def _respace(self, text: str, x: float, y: float, em: float,
                 widths: dict[str, float]) -> tuple[str, float]:
        """Join the texts of a run's TJ operators with spaces from glyph geometry only; text and advance.

        pypdf joins the texts of the operators on one baseline into a run and
        puts a space before one that starts at its own position when the move
        is wider than pypdf's width estimate, which leaves out the TJ
        displacements: a line re-kerned by Ghostscript gains a space inside a
        word ("…/t reatment"). Here what pypdf put between two marked operators
        goes, and a space comes back only when the gap between the end of the
        first one's last glyph (advance widths and displacements) and the
        second one's start is a word space (``WORD_GAP_EM``). An operator that
        continues where the one before ended keeps the text as pypdf joined it.
        """
        out = loose = ""
        end: float | None = x  # where the last glyph of ``out`` ends (None: unknown)
        op: dict | None = None  # the marked operator being read
        tokens = _MARK_SPLIT_RE.split(text)
        for i, token in enumerate(tokens):
            if i % 2 == 0:
                if op is not None:
                    op["text"] += token
                else:
                    loose += token
            elif token == _SHOW_END and op is not None:
                piece = op["text"]
                if op["gap"] and not out.endswith(" ") and not piece.startswith(" "):
                    out += " "
                out = _glue(out, piece)
                end = None if op["start"] is None else op["start"] + _op_advance(piece, op["mark"], widths, em)
                op = None
            elif token != _SHOW_END:
                if op is not None:  # no end mark: keep its text, its end unknown
                    out, end = _glue(out, op["text"]), None
                mark = self._marks.pop(ord(token[1]) - 0xF0000, None)
                op = {"text": "", "mark": mark, "gap": None, "start": None}
                if mark is not None and not mark[2]:
                    px, py = mark[0], mark[1]
                    if out.strip() and not loose.strip() and end is not None \
                            and abs(py - y) <= 0.2 * em and px >= end - 0.5 * em:
                        op["gap"], loose = px - end > WORD_GAP_EM * em, ""  # pypdf's space goes
                    op["start"] = px
                elif mark is not None and not loose:
                    op["start"] = end  # carries on where the operator before ended
                out, loose = _glue(out, loose), ""
        if op is not None:
            out, end = _glue(out, op["text"]), None
        if loose:
            out, end = _glue(out, loose), None if end is None else end + _advance(loose, widths, em)
        return out, (end - x) if end is not None else _advance(out, widths, em)


def _glue(out: str, text: str) -> str:
    """``out + text`` without doubling a space where they meet (the marks hide a space from pypdf)."""
    return out + text[1:] if out.endswith(" ") and text.startswith(" ") else out + text


def _op_advance(text: str, mark: tuple | None, widths: dict[str, float], em: float) -> float:
    """Advance of a TJ operator's text: glyph widths, less the spaces pypdf put for displacements, plus those."""
    width = _advance(text, widths, em)
    if mark is not None:
        _, _, _, shift, forced = mark
        width += (-shift - min(forced, text.count(" ")) * widths.get(" ", 250.0)) * em / 1000
    return width


def _advance(text: str, widths: dict[str, float], em: float) -> float:
    """Advance width of ``text`` from the font's widths (thousandths of an em), in page units."""
    default = widths.get("default", 500)
    return sum(widths.get(ch, default) for ch in text) * em / 1000


def unicode_widths(font: object) -> dict[str, float] | None:
    """The font's advance widths keyed by the Unicode text pypdf reports for each code."""
    if not font.interpretable:
        return None
    codes = font.character_map or (font.encoding if isinstance(font.encoding, dict) else {})
    out: dict[str, float] = {}
    for code, width in font.character_widths.items():
        if code == "default":
            continue
        char = codes.get(code, codes.get(ord(code), code) if len(code) == 1 else code)
        if isinstance(char, str) and len(char) == 1 and width:
            out.setdefault(char, float(width))
    out["default"] = float(font.character_widths.get("default", 500) or 500)
    # Spaces pypdf inserts for gaps in a font without a space glyph: about a word space.
    out.setdefault(" ", 250.0)
    return out


def tj_shift(array: object) -> float:
    """The sum of a TJ array's displacements (thousandths of an em; positive moves left)."""
    if not isinstance(array, list):
        return 0.0
    return sum(float(item) for item in array if isinstance(item, (int, float)) and not isinstance(item, bool))


def normalize_tj(array: object) -> None:
    """Make pypdf read TJ displacements as word spaces only when they are word-wide.

    pypdf inserts a space for any displacement wider than half the font's space
    (a kerning pair in a font with a narrow space becomes "domes tic", and a
    word gap in a font without a space glyph is lost). Here narrow and positive
    displacements become 0 and word-wide ones a value pypdf always reads as a
    space; pypdf does not use the numbers for anything else.
    """
    if not isinstance(array, list):
        return
    for i, item in enumerate(array):
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            value = float(item)
            array[i] = FloatObject(_FORCE_SPACE) if value <= -WORD_GAP_TJ else NumberObject(0)


def build_lines(runs: list[Run]) -> list[Line]:
    """Group runs into lines by baseline, keeping content-stream order inside a line."""
    lines: list[Line] = []
    current: Line | None = None
    ref_y = ref_size = 0.0
    for run in runs:
        if not run.text.strip() and current is None:
            continue
        if current is not None and abs(run.y - ref_y) <= 0.6 * max(ref_size, run.size):
            current.runs.append(run)
            if run.size > ref_size and run.text.strip():
                ref_y, ref_size = run.y, run.size
            continue
        if not run.text.strip():
            continue
        current = Line([run])
        lines.append(current)
        ref_y, ref_size = run.y, run.size
    for line in lines:
        line.finish()
    return lines


def logical_order(pages: list[PageLayout]) -> None:
    """Put the lines holding right-to-left text in logical order (:mod:`extractors.pdf.direction`)."""
    mixed = [ln for page in pages for ln in page.lines if any(has_rtl(r.text) for r in ln.runs)]
    if not mixed:
        return
    rtl_base = rtl_share([ln.text for page in pages for ln in page.lines]) > 0.5
    for line in mixed:
        _logical_runs(line, rtl_base)
        line.finish()


def word_gap(prev: Run, run: Run) -> bool:
    """Whether the blank between two runs of a line is a word space.

    With the font's advance widths, a gap wider than ``WORD_GAP_EM`` of the
    smaller size is a space (kerning and small capitals set in two sizes are
    narrower); without them, the old estimate from the character count.
    """
    end = prev.end
    if end is not None:
        return run.x - end > WORD_GAP_EM * min(prev.size, run.size)
    est_end = prev.x + 0.5 * prev.size * len(prev.text)
    short = len(prev.text.strip()) <= 4
    return run.x - est_end > (0.25 if short else 1.5) * run.size


def _logical_runs(line: Line, rtl_base: bool) -> None:
    """Rebuild a line holding right-to-left text as runs in logical order (superscripts apart)."""
    runs = [Run(r.text[::-1] if r.reversed_glyphs else r.text, r.x, r.y, r.size, r.font, r.rise, r.width)
            for r in line.runs]
    runs.sort(key=lambda r: r.x)  # stable: runs reported at one position keep their stream order
    groups: list[list[Run]] = []
    for run in runs:
        if line.is_superscript(run) and run.text.strip():
            groups.append([run])
            groups.append([])
        elif groups and groups[-1] is not None and (not groups[-1] or not line.is_superscript(groups[-1][0])):
            groups[-1].append(run)
        else:
            groups.append([run])
    out: list[Run] = []
    for group in groups:
        if not group:
            continue
        if len(group) == 1 and line.is_superscript(group[0]):
            out.append(group[0])
            continue
        visual = ""
        for prev, run in zip([None, *group], group):
            piece = run.text
            if prev is not None and piece[:1] != " " and not visual.endswith(" ") and word_gap(prev, run):
                visual += " "
            visual += piece
        first, last = group[0], group[-1]
        end = last.end
        out.append(Run(re.sub(" {2,}", " ", visual_to_logical(visual, rtl_base)), first.x, first.y, max(r.size for r in group), first.font,
                       0.0, None if end is None else end - first.x))
    line.runs = out


def _column_starts(lines: list[Line], width: float) -> list[float]:
    """Left edges of the page's columns (two or three), or ``[]`` for a single column.

    A column is a cluster of line starts holding at least a fifth of the lines
    (a sixth with three), the clusters at least a fifth of the page width
    apart, and most lines of each later column sharing a baseline with a line
    of another column (text side by side, not an indented block).
    """
    if len(lines) < 8 or width <= 0:
        return []
    starts = sorted(ln.x0 for ln in lines)
    clusters: list[list[float]] = [[starts[0]]]
    for x in starts[1:]:
        if x - clusters[-1][-1] > width * 0.08:
            clusters.append([x])
        else:
            clusters[-1].append(x)
    for k in (3, 2):
        big = [c for c in clusters if len(c) >= len(lines) / (k * 2.2)]
        if len(big) != k:
            continue
        edges = [min(c) for c in big]
        if any(b - a < width * 0.2 for a, b in zip(edges, edges[1:])):
            continue
        if _side_by_side(lines, edges):
            return edges
    return []


def _column_of(line: Line, edges: list[float]) -> int:
    return max(i for i, edge in enumerate(edges) if line.x0 >= edge - 2 or i == 0)


def _side_by_side(lines: list[Line], edges: list[float]) -> bool:
    by_column: dict[int, list[Line]] = {}
    for ln in lines:
        by_column.setdefault(_column_of(ln, edges), []).append(ln)
    if len(by_column) != len(edges):
        return False
    others = sorted(ln.y for column, lns in by_column.items() if column != 0 for ln in lns)
    first = sorted(ln.y for ln in by_column[0])
    for column in range(len(edges)):
        pool = others if column == 0 else first
        paired = 0
        for ln in by_column[column]:
            i = bisect.bisect_left(pool, ln.y - ln.size * 0.6)
            paired += i < len(pool) and pool[i] <= ln.y + ln.size * 0.6
        if paired < len(by_column[column]) * 0.5:
            return False
    return True


def reading_order(lines: list[Line], width: float) -> list[Line]:
    """Lines top to bottom; on pages of two or three columns, column by column.

    Each line's ``column`` is set (0 on single-column pages).
    """
    ordered = sorted(lines, key=lambda ln: -ln.y)
    edges = _column_starts(ordered, width)
    for line in ordered:
        line.column = _column_of(line, edges) if edges else 0
    if not edges:
        return ordered
    return sorted(ordered, key=lambda ln: ln.column)  # stable: top to bottom inside a column


def document_columns(pages: list[PageLayout]) -> None:
    """Read a page whose own lines show no columns by the column layout of the document's other pages.

    The last page of a two-column document may hold a full left column and a
    few lines on the right (a note's continuation, the end of the text): too
    few to be found as a column, so the two would interleave line by line.
    Such a page takes the edges found on the other pages when its lines fit
    them: each later column has lines starting at its edge that share
    baselines with the column before, and no line crosses into the next
    column (a full-width page, or a table whose rows span the page, keeps
    reading top to bottom).
    """
    layouts: dict[tuple[int, ...], list[float]] = {}
    for page in pages:
        edges = _column_starts(page.lines, page.width)
        if edges:
            edges = _typical_starts(page.lines, edges)
            key = tuple(round(e / max(page.width, 1.0) * 50) for e in edges)
            layouts.setdefault(key, edges)
    if len(layouts) != 1:
        return  # no columns anywhere, or layouts that disagree: nothing to lend
    edges = next(iter(layouts.values()))
    for page in pages:
        if any(ln.column for ln in page.lines) or not _fits_columns(page.lines, edges, page.width):
            continue
        for line in page.lines:
            line.column = _column_of(line, edges)
        page.lines.sort(key=lambda ln: (ln.column, -ln.y))


def _typical_starts(lines: list[Line], edges: list[float]) -> list[float]:
    """Each column's most common line start (a page number or heading left of it is no edge)."""
    starts: list[float] = []
    for column, edge in enumerate(edges):
        counts: dict[int, list[float]] = {}
        for ln in lines:
            if _column_of(ln, edges) == column:
                counts.setdefault(round(ln.x0), []).append(ln.x0)
        starts.append(min(max(counts.values(), key=len)) if counts else edge)
    return starts


def _paired(line: Line, ys: list[float]) -> bool:
    """Whether one of the sorted baselines ``ys`` is the line's own (text side by side)."""
    i = bisect.bisect_left(ys, line.y - line.size * 0.6)
    return i < len(ys) and ys[i] <= line.y + line.size * 0.6


def _line_end(line: Line) -> float:
    return max(r.end if r.end is not None else r.x + 0.5 * r.size * len(r.text) for r in line.runs)


def _fits_columns(lines: list[Line], edges: list[float], width: float) -> bool:
    """Whether the lines sit inside the columns that start at ``edges`` (see :func:`document_columns`)."""
    by_column: dict[int, list[Line]] = {}
    for ln in lines:
        by_column.setdefault(_column_of(ln, edges), []).append(ln)
    if len(by_column) != len(edges):
        return False
    ys = {column: sorted(ln.y for ln in lns) for column, lns in by_column.items()}
    for column, lns in by_column.items():
        if column + 1 < len(edges):
            # An overfull line (a long address) may reach into the next column's space, beside none of its lines.
            crossing = [ln for ln in lns if _line_end(ln) > edges[column + 1] + 1]
            if len(crossing) > len(lns) * 0.1 or any(_paired(ln, ys[column + 1]) for ln in crossing):
                return False
        if column == 0:
            continue
        starts = [ln for ln in lns if ln.x0 - edges[column] <= width * 0.08]
        paired = sum(_paired(ln, ys[column - 1]) for ln in lns)
        if len(lns) < 2 or len(starts) < len(lns) * 0.8 or paired < len(lns) * 0.5:
            return False
    return True


def is_bold(font: str) -> bool:
    """Whether a font name says bold or heavy."""
    return bool(re.search(r"bold|black|heavy|semibold|demi", font, re.I))


# The last word of a line when it is (the start of) a web address.
_URL_TAIL_RE = re.compile(
    r"(?:(?:https?://|www\.)\S*|(?<![\w@])(?:[a-z0-9-]+\.)+[a-z]{2,}/\S*)$", re.I)
# The first word of the next line when it can continue one: URL characters only,
# with a path, query or word separator inside (a plain word after an address stays apart).
_URL_HEAD_RE = re.compile(r"^[\w\-./?=&%#~+:@!$,;*()]*[\w/=&%#~+-]")
_URL_SEPARATORS = set("/-._?=&%#~+")
# A line that ends in a bare scheme, and a next line that starts with the rest of the address.
_SCHEME_TAIL_RE = re.compile(r"(?:^|\s)https?:/{0,2}$", re.I)
_HOST_HEAD_RE = re.compile(r"^/{0,2}(?:[a-z0-9-]+\.)+[a-z]{2,}(?:[/:?#]|$)", re.I)


def repair_urls(text: str, uris: list[str]) -> str:
    """Close the line-break spaces inside printed addresses that a link annotation gives exactly.

    ``uris`` are the targets of the ``/Link`` annotations near the text. Where
    the text prints one of them (with or without scheme and ``www.``) with
    spaces inside, the spaces go; nothing else in the text changes.
    """
    for uri in uris:
        core = re.sub(r"^(?:[a-z][a-z0-9+.-]*://)?(?:www\.)?", "", uri.strip(), flags=re.I)
        if len(core) < 6 or len(core) > 400 or re.search(r"\s", core):
            continue
        pattern = r"(?:https?://)?(?:www\.)?" + r"\s?".join(re.escape(c) for c in core.rstrip("/"))
        for m in reversed(list(re.finditer(pattern, text, re.I))):
            if re.search(r"\s", m.group(0)):
                text = text[: m.start()] + re.sub(r"\s+", "", m.group(0)) + text[m.end():]
    return text


def continues_url(out: str, part: str) -> bool:
    """Whether ``part`` carries on the web address that ends ``out`` (a URL broken at a line end)."""
    if _SCHEME_TAIL_RE.search(out) and _HOST_HEAD_RE.match(part):
        return True  # "https:" + "//www.ohchr.org/…"
    tail = _URL_TAIL_RE.search(out)
    if not tail or len(tail.group(0)) < 8:
        return False
    head = _URL_HEAD_RE.match(part)
    if not head:
        return False
    word = part.split(None, 1)[0]
    if tail.group(0)[-1] in _URL_SEPARATORS:
        return True  # "https://marc.info/?" + "l=…", "…/iran-a-" + "decade-of-…"
    return bool(_URL_SEPARATORS & set(word.rstrip(".,;:)"))) and not word[:1].isupper()


def join_lines(parts: list[str]) -> str:
    """Join line texts with spaces, undoing hyphenation at line ends and URLs broken at them."""
    out = ""
    for part in parts:
        part = part.strip()
        if not part:
            continue
        if not out:
            out = part
        elif continues_url(out, part):
            out = out.removesuffix("\u00ad") + part  # a hyphen inside an address is part of it
        elif out.endswith("\u00ad"):
            out = out[:-1] + part
        elif re.fullmatch(r"[^\W\d_]-", out[-2:]) and part[:1].islower():
            out = out[:-1] + part  # "docu-" + "mentation"
        elif re.fullmatch(r"\w[-/]", out[-2:]):
            out = out + part  # "34-" + "41", "Pre-" + "Trial", a URL broken at "/"
        else:
            out = out + " " + part
    return out


def line_spacing(pages: list[PageLayout], body_size: float) -> float:
    """The most common baseline distance between consecutive body-size lines."""
    counts: dict[float, int] = {}
    for page in pages:
        prev = None
        for line in page.lines:
            if prev is not None and abs(line.size - body_size) < 0.5 and abs(prev.size - body_size) < 0.5:
                gap = round(prev.y - line.y, 0)
                if 0 < gap < body_size * 3:
                    counts[gap] = counts.get(gap, 0) + 1
            prev = line
    if not counts:
        return body_size * 1.2
    return max(counts.items(), key=lambda kv: kv[1])[0]


def breaks_paragraph(prev: Line, line: Line, spacing: float, left: float) -> bool:
    """Whether ``line`` starts a new paragraph after ``prev`` (same page and column)."""
    gap = prev.y - line.y
    if gap < -1 or gap > max(spacing, prev.size) * 1.35 + 0.5:
        return True
    if abs(line.size - prev.size) > max(line.size, prev.size) * 0.1:
        return True
    if is_bold(line.font) != is_bold(prev.font):
        return True
    indent = line.x0 - left
    return indent > line.size * 0.8 and prev.x0 - left < line.size * 0.5
