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

# Latin ligatures, Arabic presentation forms A and B: folded to plain letters.
_COMPAT_RE = re.compile("[\ufb00-\ufb4f\ufb50-\ufdff\ufe70-\ufefe]+")
_PAINT_OPS = {b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"}
_PATH_OPS = {b"m", b"l", b"re", b"c", b"v", b"y", b"h"}


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


@dataclass
class Line:
    """Runs sharing a baseline, in content-stream order."""

    runs: list[Run]
    y: float = 0.0
    x0: float = 0.0
    size: float = 0.0
    font: str = ""
    # Filled by the footnote pass: (kind, text) pieces, kind "text" or "sup".
    pieces: list[tuple[str, str]] = field(default_factory=list)

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
        elif op in (b"Tj", b"TJ", b"'", b'"') and self._rise > 0:
            self._pending_rise = max(self._pending_rise, self._rise)

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
        text = text.replace("\n", "")
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
        self.runs.append(Run(normalize_run_text(text), x, y, float(size) * scale, name, rise * scale))


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


def reading_order(lines: list[Line], width: float) -> list[Line]:
    """Lines top to bottom; on two-column pages, the left column before the right."""
    ordered = sorted(lines, key=lambda ln: -ln.y)
    if len(ordered) < 8 or width <= 0:
        return ordered
    mid = width * 0.45
    right = [ln for ln in ordered if ln.x0 >= mid]
    left = [ln for ln in ordered if ln.x0 < mid]
    if len(right) < len(ordered) * 0.3 or len(left) < len(ordered) * 0.3:
        return ordered
    left_ys = sorted(ln.y for ln in left)
    paired = 0
    for ln in right:
        i = bisect.bisect_left(left_ys, ln.y - ln.size * 0.5)
        paired += i < len(left_ys) and left_ys[i] <= ln.y + ln.size * 0.5
    if paired < len(right) * 0.5:
        return ordered
    return left + right


def is_bold(font: str) -> bool:
    """Whether a font name says bold or heavy."""
    return bool(re.search(r"bold|black|heavy|semibold|demi", font, re.I))


def join_lines(parts: list[str]) -> str:
    """Join line texts with spaces, undoing hyphenation at line ends."""
    out = ""
    for part in parts:
        part = part.strip()
        if not part:
            continue
        if not out:
            out = part
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
