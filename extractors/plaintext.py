"""Plain text: decoding, paragraphs, and the footnotes of PDF-converted text.

Text converted from PDFs without font information keeps its footnotes in a
damaged form: the superscript markers are glued to words ("in 20172",
"crimes®", "Assembly*", "interview®" — OCR turned superscript digits into
digits or glyphs) and the note bodies sit at page ends ("8 https://…"),
sometimes with their label lost. This module

1. finds note bodies: numbered lines ("N text", "N https://…") in blocks at
   page ends, and bare URL lines at page ends once the document has shown it
   has numbered notes (their labels are then inferred from the sequence);
2. finds marker candidates (glued digits, superscript characters, stray
   glyphs) and aligns labels 1..N with them in order (dynamic programming),
   each marker lying on the page of its body (between the previous note block
   and its own);
3. removes markers and bodies from the text, rebuilds paragraphs from
   hard-wrapped lines (rejoining words hyphenated across lines), and links
   notes with :func:`assembly.link_footnotes`, giving each note a confidence.

Nothing is invented: a note exists only if its body was found; a note whose
marker is uncertain stays unlinked. Ordinary plain text (web page text,
bullets) has no note blocks and is only split into paragraphs.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from extractors.assembly import assemble, link_footnotes
from extractors.text.markers import GLUED_SUPERSCRIPT_RE, SUPERSCRIPTS, marker, strip_markers, superscript_digits
from extractors.base import CONTENT, Extractor  # noqa: F401 - CONTENT kept for callers
from extractors.text.identifiers import find_document_identifiers
from extractors.record import ExtractedDocument, Footnote, Hints, Metadata
from extractors.text.decoding import decode_text, looks_binary

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- patterns

_LABEL_LINE_RE = re.compile(rf"^[ \t]{{0,4}}(\d{{1,3}}|[{SUPERSCRIPTS}]{{1,3}})[ \t]*(?=\S)(.*)$")
_URL_LINE_RE = re.compile(r"^[ \t]*((?:https?://|www\.)\S+)[ \t]*$", re.I)
_URL_CONT_RE = re.compile(r"^[\w\-./?=&%#~+:;,@!$'*()]+$")
_BULLET_RE = re.compile(r"^[ \t]*(?:[•◦▪▫‣●○■□➢►✓✔·]|[-–—*+](?=\s)|\(?\d{1,3}[.)](?=\s)|\(?[a-zA-Z][.)](?=\s)|\([ivxlc]+\)(?=\s))")
_SENTENCE_END_RE = re.compile(r"[.!?:;…][\"'”’»)\]]*$")
_PAGE_NUMBER_RE = re.compile(r"^\s*(?:[-–—]\s*)?(?:page\s+)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?(?:\s*[-–—])?\s*$", re.I)
_CITATIONISH_RE = re.compile(
    r"https?://|www\.|\b(?:1[89]|20)\d\d\b|\b(?:Ibid|Id|See|supra|op\. cit|p|pp|para|paras)\b\.?|"
    r"\b[A-Z]{1,5}/[A-Z0-9.]+/|“|\"|\*[^*]+\*"
)
_GLYPH_SCORES = {"®": 0.7, "©": 0.6, "†": 0.6, "‡": 0.6, "¤": 0.5, "™": 0.5, "*": 0.5, "°": 0.4, "§": 0.3}
_GLYPH_RE = re.compile(r"(?<=[^\s\d*])([®©†‡¤™*°§])(?=[\s.,;:!?)\]”\"’']|$)")
_GLUED_DIGIT_RE = re.compile(r"(?<![\w/@:.\-])([A-Za-z][A-Za-z’'\-]*[a-z][A-Za-z]*[.,;:!?)\]”\"’']?)(\d{1,3})(?=[\s.,;:!?)\]”\"’']|$)")
_YEAR_GLUED_RE = re.compile(r"(?<![\w/.,\-])((?:1[89]|20)\d\d)(\d{1,2})(?=[\s.,;:!?)\]”\"’']|$)")
_YEAR_PUNCT_RE = re.compile(r"(?<![\w/.,\-])((?:1[89]|20)\d\d[.,;:)\]”\"’'])(\d{1,3})(?=\s|$)")
_QMARK_RE = re.compile(r"(?<=[a-z])\?(?= [a-z])")
_CLOSE_QUOTE_RE = re.compile(r"(?<=[A-Za-z.,])”(?= [a-z0-9])")
_NOT_GLUE_PREFIX = {"p.", "pp.", "para.", "paras.", "no.", "nos.", "art.", "vol.", "ch.", "fig.", "sec.", "n."}

# Hyphenated line ends that are real compounds.
_KEEP_PREFIXES = {
    "non", "self", "ex", "well", "fact", "state", "anti", "pro", "cross", "post", "pre", "co",
    "semi", "multi", "inter", "quasi", "counter", "so", "long", "short", "high", "low", "full",
    "part", "half", "mid", "all", "twenty", "thirty", "forty", "fifty", "sixty", "seventy",
    "eighty", "ninety", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
}
_KEEP_SECONDS = {
    "based", "run", "led", "backed", "owned", "related", "finding", "making", "term", "level",
    "scale", "wide", "free", "like", "called", "born", "old", "time", "style", "oriented",
    "up", "in", "out", "off", "on", "over", "year", "month", "day", "week", "appointed",
    "affiliated", "sponsored", "controlled", "linked", "general", "elect", "recurrence",
}


@dataclass
class _Unit:
    """One note body found in the text."""

    label: int | None
    text: str
    first: int  # first line index
    last: int  # last line index
    is_url: bool
    inferred: bool = False
    block: int = -1


@dataclass
class _Candidate:
    """A possible marker inside a prose line."""

    line: int
    start: int
    end: int
    value: int | None  # printed digits, or None for a glyph
    score: float
    kind: str


@dataclass
class _Analysis:
    paragraphs: list[str] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    confidence: dict[str, float] = field(default_factory=dict)
    note_pages: dict[str, int | None] = field(default_factory=dict)
    marker_pages: dict[str, int | None] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- lines


def _split_lines(text: str) -> tuple[list[str], list[int], set[int]]:
    """Lines, the page of each line (1-based) and the indexes that start a page."""
    lines: list[str] = []
    pages: list[int] = []
    page_starts: set[int] = set()
    page = 1
    for raw in text.split("\n"):
        parts = raw.split("\f")
        for k, part in enumerate(parts):
            if k > 0:
                page += 1
                page_starts.add(len(lines))
                if not part.strip():
                    continue
            lines.append(part.rstrip())
            pages.append(page)
    return lines, pages, page_starts


def _drop_page_numbers(lines: list[str], page_starts: set[int]) -> None:
    """Blank out lone page numbers next to form feeds (they would look like labels)."""
    if not page_starts:
        return
    ends = {s - 1 for s in page_starts}
    for idx in list(page_starts) + list(ends):
        # Look past blank lines to the first/last text line of the page.
        step = 1 if idx in page_starts else -1
        j = idx
        while 0 <= j < len(lines) and not lines[j].strip():
            j += step
        if 0 <= j < len(lines) and _PAGE_NUMBER_RE.match(lines[j]):
            lines[j] = ""


def _is_blank(lines: list[str], i: int) -> bool:
    return i < 0 or i >= len(lines) or not lines[i].strip()


def _label_value(raw: str) -> int:
    return int(superscript_digits(raw))


# ---------------------------------------------------------------- note bodies


def _find_units(lines: list[str], page_starts: set[int]) -> list[_Unit]:
    """Every line group that could be a note body, in document order."""
    units: list[_Unit] = []
    i = 0
    n = len(lines)
    prev_unit_end = -10
    while i < n:
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        starts_block = _is_blank(lines, i - 1) or i in page_starts or prev_unit_end == i - 1 \
            or line.startswith(" ")
        m = _LABEL_LINE_RE.match(line)
        url = _URL_LINE_RE.match(line)
        if m and starts_block:
            body = m.group(2).strip()
            first_char = body[:1]
            if first_char and (first_char.isupper() or first_char in "“\"‘'*_([«" or body.lower().startswith(("http", "www."))
                               or not first_char.isascii()):
                is_url = bool(re.match(r"(?:https?://|www\.)", body, re.I))
                j = i + 1
                parts = [body]
                while j < n and j not in page_starts and lines[j].strip() and j - i < 8:
                    nxt = lines[j]
                    if _LABEL_LINE_RE.match(nxt) or _URL_LINE_RE.match(nxt) and not is_url:
                        break
                    if nxt.startswith(" "):
                        break
                    if is_url and len(parts) == 1 and " " not in body:
                        if not (" " not in nxt.strip() and _URL_CONT_RE.match(nxt.strip())
                                and re.search(r"[\-./_=?&\d]", nxt)):
                            break
                    parts.append(nxt.strip())
                    j += 1
                units.append(_Unit(_label_value(m.group(1)), _join_body(parts, is_url), i, j - 1, is_url))
                prev_unit_end = j - 1
                i = j
                continue
        if url:
            j = i + 1
            parts = [url.group(1)]
            while j < n and j not in page_starts and lines[j].strip():
                nxt = lines[j].strip()
                if (" " not in nxt and _URL_CONT_RE.match(nxt) and re.search(r"[\-./_=?&\d]", nxt)
                        and not nxt.lower().startswith(("http", "www."))):
                    parts.append(nxt)
                    j += 1
                    continue
                break
            units.append(_Unit(None, "".join(parts), i, j - 1, True))
            prev_unit_end = j - 1
            i = j
            continue
        i += 1
    return units


def _join_body(parts: list[str], is_url: bool) -> str:
    if is_url and len(parts) > 1 and " " not in parts[0]:
        return "".join(parts)
    out = parts[0]
    for part in parts[1:]:
        out = _join_two(out, part, set(), set())
    return out


def _ends_page(lines: list[str], last: int, page_starts: set[int], units_first: set[int]) -> bool:
    """True when the line after ``last`` closes the page-like chunk."""
    nxt = last + 1
    return (nxt >= len(lines) or not lines[nxt].strip() or nxt in page_starts
            or lines[nxt].startswith(" ") or nxt in units_first)


def _select_units(lines: list[str], units: list[_Unit], page_starts: set[int]) -> list[_Unit]:
    """Keep the bodies that form a consistent note apparatus; infer lost labels."""
    if not units:
        return []
    firsts = {u.first for u in units}
    labelled = [u for u in units if u.label is not None and 0 < u.label <= 999]
    # Group into blocks: units separated only by blank lines.
    block = -1
    prev_last = -10
    for u in units:
        between = lines[prev_last + 1 : u.first] if prev_last >= 0 else ["x"]
        if prev_last < 0 or any(x.strip() for x in between):
            block += 1
        u.block = block
        prev_last = u.last
    # Longest chain of strictly increasing labels (document order).
    best: list[list[_Unit]] = []
    for u in labelled:
        chain = [u]
        for prev in best:
            if prev[-1].label < u.label and len(prev) + 1 > len(chain):
                chain = prev + [u]
        best.append(chain)
    chain = max(best, key=len) if best else []
    accepted: list[_Unit] = []
    for k, u in enumerate(chain):
        at_end = _ends_page(lines, u.last, page_starts, firsts)
        neighbours = [v for v in chain if v is not u and v.block == u.block and abs(v.label - u.label) == 1]
        looks = bool(_CITATIONISH_RE.search(u.text))
        if u.is_url or (neighbours and at_end) or (looks and at_end and len(chain) >= 2):
            accepted.append(u)
    if not accepted:
        return []
    # Bare URL bodies: labels from their place between numbered bodies.
    ordered = sorted(accepted + [u for u in units if u.label is None], key=lambda u: u.first)
    result: list[_Unit] = []
    k = 0
    while k < len(ordered):
        if ordered[k].label is not None:
            result.append(ordered[k])
            k += 1
            continue
        run_start = k
        while k < len(ordered) and ordered[k].label is None:
            k += 1
        run = ordered[run_start:k]
        before = ordered[run_start - 1].label if run_start > 0 else 0
        after = ordered[k].label if k < len(ordered) else None
        if not all(_ends_page(lines, u.last, page_starts, firsts) for u in run):
            continue
        if after is not None:
            first_label = after - len(run)
            if first_label <= before or (before and after - before - 1 != len(run)):
                continue
        else:
            first_label = before + 1
            if not before:
                continue
        for offset, u in enumerate(run):
            u.label = first_label + offset
            u.inferred = True
            result.append(u)
    return sorted(result, key=lambda u: u.first)


# ---------------------------------------------------------------- markers


def _find_candidates(lines: list[str], skip: set[int]) -> list[_Candidate]:
    cands: list[_Candidate] = []
    # Curly-quote balance per blank-separated block, for stray closing quotes.
    unbalanced_blocks: set[int] = set()
    block_of: list[int] = []
    block = 0
    opens = closes = 0
    for i, line in enumerate(lines):
        if not line.strip():
            if closes > opens:
                unbalanced_blocks.add(block)
            block += 1
            opens = closes = 0
        elif i not in skip:
            opens += line.count("“")
            closes += line.count("”")
        block_of.append(block)
    if closes > opens:
        unbalanced_blocks.add(block)
    for i, line in enumerate(lines):
        if i in skip or not line.strip():
            continue
        urls = [(m.start(), m.end()) for m in re.finditer(r"(?:https?://|www\.)\S+", line)]

        def in_url(pos: int) -> bool:
            return any(a <= pos < b for a, b in urls)

        for m in GLUED_SUPERSCRIPT_RE.finditer(line):
            if not in_url(m.start()):
                cands.append(_Candidate(i, m.start(), m.end(), _label_value(m.group(1)), 1.0, "superscript"))
        for m in _GLUED_DIGIT_RE.finditer(line):
            prefix = m.group(1)
            letters = sum(ch.isalpha() for ch in prefix)
            if letters < 3 or prefix.lower() in _NOT_GLUE_PREFIX or in_url(m.start()):
                continue
            value = int(m.group(2))
            if value == 0:
                continue
            score = 0.9 if not prefix[-1].isalpha() else 0.8
            cands.append(_Candidate(i, m.start(2), m.end(2), value, score, "digit"))
        for m in _YEAR_GLUED_RE.finditer(line):
            value = int(m.group(2))
            if value == 0 or m.group(2).startswith("0") or in_url(m.start()):
                continue
            cands.append(_Candidate(i, m.start(2), m.end(2), value, 0.6, "year-digit"))
        for m in _YEAR_PUNCT_RE.finditer(line):
            value = int(m.group(2))
            if value and not m.group(2).startswith("0") and not in_url(m.start()):
                cands.append(_Candidate(i, m.start(2), m.end(2), value, 0.8, "digit"))
        for m in _GLYPH_RE.finditer(line):
            if in_url(m.start()):
                continue
            if m.group(1) == "*" and line.count("*") > 1:
                continue  # emphasis markup, not a marker
            if m.group(1) == "°" and re.search(r"\d\s*°?$", line[: m.start()]):
                continue
            cands.append(_Candidate(i, m.start(1), m.end(1), None, _GLYPH_SCORES[m.group(1)], "glyph"))
        for m in _QMARK_RE.finditer(line):
            if not in_url(m.start()):
                cands.append(_Candidate(i, m.start(), m.end(), None, 0.4, "glyph"))
        if block_of[i] in unbalanced_blocks:
            for m in _CLOSE_QUOTE_RE.finditer(line):
                cands.append(_Candidate(i, m.start(), m.end(), None, 0.35, "glyph"))
    cands.sort(key=lambda c: (c.line, c.start))
    # One candidate per position (a superscript digit beats a glyph reading).
    unique: list[_Candidate] = []
    for c in cands:
        if unique and unique[-1].line == c.line and unique[-1].start < c.end and c.start < unique[-1].end:
            if c.score > unique[-1].score:
                unique[-1] = c
            continue
        unique.append(c)
    return unique


def _align(n_labels: int, cands: list[_Candidate], window: dict[int, tuple[int, int]]) -> dict[int, int]:
    """Order-preserving assignment label -> candidate index maximizing total score."""
    m = len(cands)
    if n_labels == 0 or m == 0:
        return {}
    neg = float("-inf")
    # score[i][j]: labels 1..i aligned within candidates 0..j-1.
    prev_row = [0.0] * (m + 1)
    back: list[bytearray] = []
    for i in range(1, n_labels + 1):
        row = [0.0] * (m + 1)
        moves = bytearray(m + 1)  # 0: label unmarked, 1: skip candidate, 2: match
        lo, hi = window.get(i, (-1, 1 << 30))
        for j in range(1, m + 1):
            best = prev_row[j]
            move = 0
            if row[j - 1] > best:
                best, move = row[j - 1], 1
            c = cands[j - 1]
            if (c.value is None or c.value == i) and lo < c.line < hi:
                gain = c.score + (0.5 if c.value == i else 0.0)
                if prev_row[j - 1] + gain > best:
                    best, move = prev_row[j - 1] + gain, 2
            row[j] = best
            moves[j] = move
        back.append(moves)
        prev_row = row
    del neg
    # Trace back.
    result: dict[int, int] = {}
    i, j = n_labels, m
    while i > 0 and j > 0:
        move = back[i - 1][j]
        if move == 2:
            result[i] = j - 1
            i -= 1
            j -= 1
        elif move == 1:
            j -= 1
        else:
            i -= 1
    return result


# ---------------------------------------------------------------- paragraphs


def _vocabulary(text: str) -> tuple[set[str], set[str]]:
    words = set(w.lower() for w in re.findall(r"[^\W\d_]+", text))
    # starting only at a word's first letter keeps this linear on a line with no hyphen
    hyphenated = set(w.lower() for w in re.findall(r"(?<![^\W\d_])[^\W\d_]+-[^\W\d_]+", text))
    return words, hyphenated


# How much of a paragraph's end the joining rules look at: the last word and some
# context. Looking at the whole paragraph made joining n lines quadratic.
_JOIN_TAIL = 256


def _join_two(left: str, right: str, words: set[str], hyphenated: set[str]) -> str:
    """Join two wrapped lines, undoing end-of-line hyphenation."""
    left = left.rstrip()
    drop, piece = _joint(left[-_JOIN_TAIL:], right, words, hyphenated)
    return left[: len(left) - drop] + piece


def _joint(left: str, right: str, words: set[str], hyphenated: set[str]) -> tuple[int, str]:
    """How text ending in ``left`` (no trailing space) continues with line ``right``.

    Returns ``(characters to drop from the end of the text, text to append)``:
    a line-end hyphen is dropped when it only split a word.
    """
    right = right.lstrip()
    m = re.search(r"([^\W\d_]+)-$", left)
    if m and left[-2:-1].isalpha() and right[:1].isalpha():
        first = m.group(1)
        second = re.match(r"[^\W\d_]+", right)
        second_word = second.group(0) if second else ""
        token = left.rsplit(None, 1)[-1]
        keep = (
            not right[:1].islower()
            or "/" in token
            or f"{first}-{second_word}".lower() in hyphenated
            or (first.lower() in _KEEP_PREFIXES and (first + second_word).lower() not in words)
            or second_word.lower() in _KEEP_SECONDS
            or first.isupper()
        )
        if not keep or (first + second_word).lower() in words:
            return 1, right
        return 0, right
    return 0, f" {right}"


def _rebuild_paragraphs(lines: list[str], soft_breaks: set[int], page_starts: set[int],
                        words: set[str], hyphenated: set[str]) -> list[str]:
    """Paragraphs from lines: blank lines separate; wrapped lines are joined.

    ``soft_breaks`` are line indexes after which something was removed (a
    note block): the text on both sides is joined only when it clearly
    continues ("…the" + "lowercase").
    """
    texts = [ln for ln in lines if ln is not None and ln.strip()]
    lengths = sorted(len(ln.strip()) for ln in texts)
    width = lengths[int(len(lengths) * 0.95)] if lengths else 0
    median = lengths[len(lengths) // 2] if lengths else 0
    wrapped = bool(lengths) and len(lengths) >= 5 and width <= 130 and median >= 0.55 * width
    blank_count = sum(1 for ln in lines if ln is not None and not ln.strip())
    blank_separated = blank_count >= 0.08 * max(1, len(texts))

    paragraphs: list[str] = []
    current: list[str] | None = None  # the paragraph's pieces, joined once at its end
    tail = ""  # the end of the paragraph so far, all the joining rules look at
    prev_line: str | None = None
    gap = "none"  # what separates the previous text line from this one
    for i, line in enumerate(lines):
        if line is None:  # removed note body
            if gap == "none":
                gap = "soft"
            continue
        if not line.strip():
            gap = "hard"
            continue
        if i in page_starts and gap == "none":
            gap = "soft"
        stripped = line.strip()
        if current is None:
            current, tail = [stripped], stripped[-_JOIN_TAIL:]
        elif gap == "hard":
            paragraphs.append("".join(current))
            current, tail = [stripped], stripped[-_JOIN_TAIL:]
        else:
            join = _should_join(prev_line or "", line, gap == "soft", wrapped, blank_separated, width)
            if join:
                drop, piece = _joint(tail, stripped, words, hyphenated)
                if drop:
                    current[-1] = current[-1][:-drop]
                current.append(piece)
                tail = (tail[: len(tail) - drop] + piece)[-_JOIN_TAIL:]
            else:
                paragraphs.append("".join(current))
                current, tail = [stripped], stripped[-_JOIN_TAIL:]
        prev_line = line
        gap = "none"
    if current is not None:
        paragraphs.append("".join(current))
    return paragraphs


def _starts_lower(text: str) -> bool:
    text = text.lstrip()
    first = text[:1]
    return bool(first) and (first.islower() or (first in "(,;%)" and len(text) > 1))


def _should_join(prev: str, line: str, soft: bool, wrapped: bool, blank_separated: bool, width: int) -> bool:
    a = prev.strip()
    b = line.strip()
    ends_sentence = bool(_SENTENCE_END_RE.search(a))
    hyphen = bool(re.search(r"[^\W\d_]-$", a))
    if _BULLET_RE.match(line):
        return False
    if soft:
        # Across a removed note block or a page break: only clear continuations.
        return (hyphen or not ends_sentence) and _starts_lower(b)
    if hyphen and _starts_lower(b):
        return True
    if _starts_lower(b):
        return True
    if not wrapped:
        return False
    if ends_sentence:
        if blank_separated:
            return not (len(a) < 0.6 * width and b[:1].isupper())
        return len(a) >= 0.8 * width
    if len(a) < 0.5 * width and (b[:1].isupper() or b[:1] in "“\"'‘"):
        return False
    return True


# ---------------------------------------------------------------- the analysis


def _marker_windows(units: list, by_label: dict) -> dict[int, tuple[int, int]]:
    """Per note label, the lines its marker may lie between: after the previous note block, before its own."""
    block_first: dict[int, int] = {}
    block_last: dict[int, int] = {}
    for u in units:
        block_first.setdefault(u.block, u.first)
        block_last[u.block] = u.last
    ordered_blocks = sorted(block_first)
    window: dict[int, tuple[int, int]] = {}
    for label, u in by_label.items():
        k = ordered_blocks.index(u.block)
        lo = block_last[ordered_blocks[k - 1]] if k > 0 else -1
        window[label] = (lo, block_first[u.block])
    return window


def _apply_edits(lines: list[str], edits: dict[int, list[tuple[int, int, str]]],
                 body_lines: set[int]) -> list[str | None]:
    """Marker edits applied right to left on each line, note-body lines dropped (None)."""
    out_lines: list[str | None] = list(lines)
    for i, changes in edits.items():
        line = lines[i]
        for start, end, repl in sorted(changes, reverse=True):
            tail = line[end:]
            if not repl and line[start - 1 : start].isalnum() is False and tail.startswith(" ") and tail[1:2] in (":", ";", ","):
                tail = tail[1:]
            if repl and tail.startswith(" ") and tail[1:2] in (":", ";"):
                tail = tail[1:]
            line = line[:start] + repl + tail
        out_lines[i] = line
    for i in body_lines:
        out_lines[i] = None
    return out_lines


def analyse(text: str) -> _Analysis:
    """Notes, markers and paragraphs of one decoded plain text."""
    result = _Analysis()
    lines, line_pages, page_starts = _split_lines(text)
    _drop_page_numbers(lines, page_starts)
    has_pages = bool(page_starts)
    units = _select_units(lines, _find_units(lines, page_starts), page_starts)
    body_lines: set[int] = set()
    for u in units:
        body_lines.update(range(u.first, u.last + 1))
    edits: dict[int, list[tuple[int, int, str]]] = {}
    if units:
        n_labels = max(u.label for u in units if u.label is not None)
        by_label = {u.label: u for u in units}
        window = _marker_windows(units, by_label)
        cands = _find_candidates(lines, body_lines)
        if n_labels * len(cands) > 1_500_000:
            keep = max(1, 1_500_000 // n_labels)
            cands = sorted(sorted(cands, key=lambda c: -c.score)[:keep], key=lambda c: (c.line, c.start))
        assignment = _align(n_labels, cands, window)
        # A body with no marker must at least read like a citation: numbered
        # lists ("1 Open the box.") are not notes.
        dropped = {u.label for u in units
                   if assignment.get(u.label) is None and not u.is_url and not _CITATIONISH_RE.search(u.text)}
        if dropped:
            units = [u for u in units if u.label not in dropped]
            by_label = {u.label: u for u in units}
            body_lines = set()
            for u in units:
                body_lines.update(range(u.first, u.last + 1))
        for label in range(1, n_labels + 1):
            j = assignment.get(label)
            u = by_label.get(label)
            if j is None:
                if u is not None:
                    result.warnings.append(f"note {label}: no marker found in the text; left unlinked")
                continue
            c = cands[j]
            neighbours = [assignment.get(label - 1) is not None or label == 1,
                          assignment.get(label + 1) is not None or label == n_labels]
            exact = c.value == label
            if u is None:
                # A marker whose body is lost: clean it out of the text only
                # when it is clearly a marker.
                if exact or (c.score >= 0.35 and all(neighbours)):
                    edits.setdefault(c.line, []).append((c.start, c.end, ""))
                    result.warnings.append(f"marker {label} has no note body (lost in conversion)")
                continue
            if exact:
                conf = 0.95 if c.kind == "superscript" else 0.85 if c.kind == "digit" else 0.75
            else:
                conf = 0.6 if all(neighbours) else 0.4
            if u.inferred:
                conf *= 0.8
            result.confidence[str(label)] = round(conf, 2)
            edits.setdefault(c.line, []).append((c.start, c.end, marker(str(label))))
            result.marker_pages[str(label)] = line_pages[c.line] if has_pages else None
        for u in units:
            key = str(u.label)
            result.notes.append((key, u.text))
            result.note_pages[key] = line_pages[u.first] if has_pages else None
            if key not in result.confidence:
                result.confidence[key] = 0.4 if u.inferred else 0.5
            if u.inferred:
                result.warnings.append(f"note {key}: label lost in conversion, inferred from the sequence")
    out_lines = _apply_edits(lines, edits, body_lines)
    words, hyphenated = _vocabulary(text)
    result.paragraphs = _rebuild_paragraphs(out_lines, set(), page_starts, words, hyphenated)
    return result


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of ``text`` (no note detection): blank lines separate, wraps joined."""
    lines, _, page_starts = _split_lines(text)
    words, hyphenated = _vocabulary(text)
    return _rebuild_paragraphs(list(lines), set(), page_starts, words, hyphenated)


# Masthead lines of UN and similar documents: never a title.
_MASTHEAD_RE = re.compile(
    r"(?:united nations|general assembly|security council|economic and social council|human rights council|"
    r"commission on human rights|sub-commission\b.*|[\w-]+ (?:special )?session|(?:provisional )?agenda item \d+.*|"
    r"items? \d+.* of the (?:provisional )?agenda|distr\..*|original\s*:.*|advance (?:unedited|edited) version|"
    r"restricted|limited|general)",
    re.I,
)


_AGENDA_RE = re.compile(r"(?:agenda item \d+|items? \d+.* of the (?:provisional )?agenda)\s*$", re.I)
_DATE_WORDS_RE = re.compile(
    r"\d+|\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b|[\s\-–/.,]", re.I)


def _is_masthead(paragraph: str) -> bool:
    """A header block of symbols, body names, distribution lines and dates rather than prose.

    Mastheads set pieces side by side ("General Assembly      Distr.: General"),
    so each piece between runs of spaces or line breaks is judged on its own.
    """
    from extractors.text.dates import parse_date
    from extractors.text.identifiers import find_identifiers

    pieces = [p for p in re.split(r"\s{2,}|\n", paragraph) if p.strip()]
    header = 0
    for piece in pieces:
        rest = piece
        for ident in find_identifiers(piece):
            rest = rest.replace(ident.value, " ")
        rest = re.sub(r"\s+", " ", rest).strip()
        if (not rest or parse_date(rest) is not None or not _DATE_WORDS_RE.sub("", rest).strip(" -–/.,")
                or (len(rest.split()) <= 12 and _MASTHEAD_RE.fullmatch(rest) is not None)):
            header += 1
    # A block of header lines may end with the agenda item's wording; most of it still is header.
    return bool(pieces) and (header == len(pieces) or (len(pieces) >= 3 and header * 2 > len(pieces)))


def _title(paragraphs: list[str]) -> str | None:
    """A short, heading-like first paragraph (after any masthead), else None."""
    if len(paragraphs) < 2:
        return None
    cleaned = [re.sub(r"\s+", " ", strip_markers(raw)).strip() for raw in paragraphs[:16]]
    index = 0
    while index < len(cleaned) and (not cleaned[index] or _is_masthead(paragraphs[index])):
        index += 1
    if index >= len(cleaned) or not _title_like(cleaned[index]):
        return None
    # After "Agenda item 4" may come the agenda item's own wording, then the document's title.
    if (index > 0 and _AGENDA_RE.search(cleaned[index - 1]) and index + 1 < len(cleaned)
            and _title_like(cleaned[index + 1])):
        index += 1
    return cleaned[index]


def _title_like(text: str) -> bool:
    return (bool(text) and len(text) < 150 and len(text.split()) <= 25 and not text.endswith((".", ",", ";"))
            and not _BULLET_RE.match(text))


def _date(paragraphs: list[str]) -> str | None:
    """A date standing alone near the top ("6 February 2023", "Distr.: General 26 February 2018")."""
    from extractors.text.dates import parse_date

    for para in paragraphs[:12]:
        line = re.sub(r"\s+", " ", para).strip()
        line = re.sub(r"^(?:distr\.?\s*:?\s*\w+|date[d]?\s*:?|published\s*:?)\s*", "", line, flags=re.I)
        if len(line) <= 40:
            iso = parse_date(line)
            if iso and len(iso) == 10:
                return iso
    return None


class PlainTextExtractor(Extractor):
    """The fallback for anything that decodes as text."""

    name = "text"
    media_type = "text/plain"
    media_types = frozenset({"text/plain"})
    extensions = frozenset({"txt", "text"})

    def content_score(self, data: bytes, hints: Hints) -> int:
        if not data.strip() or looks_binary(data):
            return 0
        return 1

    def read(self, data: bytes, hints: Hints) -> ExtractedDocument:
        decoded, warnings = decode_text(data, hints.charset)
        try:
            analysis = analyse(decoded)
        except Exception as exc:  # noqa: BLE001 - note recovery is best effort
            log.debug("plain-text note analysis failed", exc_info=True)
            analysis = _Analysis(paragraphs=[p for p in re.split(r"\n\s*\n", decoded) if p.strip()])
            analysis.warnings.append(f"footnote recovery skipped ({type(exc).__name__})")
        text, markers = assemble(analysis.paragraphs)
        footnotes: list[Footnote] = []
        if analysis.notes:
            marker_pages = [analysis.marker_pages.get(label) for label, _ in markers]
            footnotes = link_footnotes(text, markers, analysis.notes, pages=analysis.note_pages,
                                       marker_pages=marker_pages, confidence=0.5)
            for note in footnotes:
                note.confidence = analysis.confidence.get(note.label, 0.5)
        metadata = Metadata(
            title=_title(analysis.paragraphs),
            date=_date(analysis.paragraphs),
            identifiers=find_document_identifiers(decoded),
            page_count=sum(1 for page in decoded.split("\f") if page.strip()) if "\f" in decoded else None,
        )
        return ExtractedDocument(format=self.name, media_type=self.media_type, text=text,
                                 metadata=metadata, footnotes=footnotes,
                                 warnings=warnings + analysis.warnings)
