"""Running headers, footers and page numbers, found by repetition across pages.

The first and last two lines of every page are candidates. A candidate is
running matter only when the same line recurs at the same height (within 4 %
of the page height) on most pages (more than half, and on two or more):

- the same text (case and spaces folded), or
- a page number: a line that is nothing but a page number ("7", "- 7 -",
  "Page 7 of 12", "vii"), or a line whose only varying number follows the
  page sequence ("A/HRC/52/7 · page 7").

Digits are never folded otherwise, so body lines that differ only in their
numbers (table rows, register entries, dated lines) are never taken for
running matter. A page never loses most of its lines this way (only its bare
page number is removed then). Running lines are removed from the page and
reported as page metadata; when they add up to more than a few per cent of
the document's text, a warning says how much went.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from extractors.pdf.layout import PageLayout

_PAGE_NUMBER_RE = re.compile(
    r"^(?:page|p\.|pag\.|seite|página)?\s*[-–—(\[]?\s*(\d{1,4}|[ivxlcdm]{1,7})\s*[-–—)\]]?"
    r"(?:\s*(?:of|/|de|von|sur)\s*\d{1,4})?$",
    re.I,
)
_DIGITS_RE = re.compile(r"\d+")
_SLOTS = 2
# Above this share of the document's characters, removal is reported as a warning.
WARN_SHARE = 0.05
# Share of the occurrences whose varying number must follow the page sequence.
_SEQUENCE_SHARE = 0.8


@dataclass
class _Candidate:
    page: int
    index: int
    y: float
    text: str


def page_number_of(text: str) -> str | None:
    """The page number a line states, when the line is nothing but a page number."""
    m = _PAGE_NUMBER_RE.match(text.strip())
    return m.group(1) if m else None


def _number_in(text: str) -> str | None:
    bare = page_number_of(text)
    if bare:
        return bare
    m = re.search(r"(?:^|\s)(\d{1,4})$", text.strip()) or re.match(r"^(\d{1,4})(?:\s|$)", text.strip())
    return m.group(1) if m else None


def _exact_key(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip()


def _folded_key(text: str) -> str:
    return _DIGITS_RE.sub("#", _exact_key(text))


def _follows_pages(group: list[_Candidate]) -> bool:
    """Whether exactly one number of the line varies, and varies with the page number."""
    numbers = [[int(n) for n in _DIGITS_RE.findall(c.text)] for c in group]
    if not numbers or len({len(n) for n in numbers}) != 1 or not numbers[0]:
        return False
    varying = [i for i in range(len(numbers[0])) if len({n[i] for n in numbers}) > 1]
    if len(varying) != 1 or varying[0] not in (0, len(numbers[0]) - 1):
        return False  # a page number is the first or the last number of its line
    offsets = [n[varying[0]] - c.page for n, c in zip(numbers, group)]
    common = max(set(offsets), key=offsets.count)
    return offsets.count(common) >= _SEQUENCE_SHARE * len(group)


def _same_place(group: list[_Candidate], tolerance: float) -> list[_Candidate]:
    """The occurrences near the most common height (one per page)."""
    ys = sorted(c.y for c in group)
    centre = ys[len(ys) // 2]
    near: dict[int, _Candidate] = {}
    for cand in group:
        if abs(cand.y - centre) <= tolerance and cand.page not in near:
            near[cand.page] = cand
    return list(near.values())


def _running_lines(pages: list[PageLayout]) -> set[tuple[int, int]]:
    """``(page number, line index)`` of every running line."""
    with_text = [p for p in pages if p.lines]
    if len(with_text) < 2:
        return set()
    need = max(2, len(with_text) // 2 + 1)
    tolerance = 0.04 * max(p.height for p in with_text)
    exact: dict[tuple[str, str], list[_Candidate]] = defaultdict(list)
    folded: dict[tuple[str, str], list[_Candidate]] = defaultdict(list)
    for page in with_text:
        n = len(page.lines)
        slots = [("top", i) for i in range(min(_SLOTS, n))] + \
                [("bottom", i) for i in range(max(_SLOTS, n - _SLOTS), n)]
        for band, i in slots:
            text = page.lines[i].text
            cand = _Candidate(page.number, i, page.lines[i].y, text)
            if not text.strip():
                continue
            if page_number_of(text):
                folded[(band, "#page#")].append(cand)
            else:
                exact[(band, _exact_key(text))].append(cand)
                if _DIGITS_RE.search(text):
                    folded[(band, _folded_key(text))].append(cand)
    running: set[tuple[int, int]] = set()
    for group in exact.values():
        placed = _same_place(group, tolerance)
        if len(placed) >= need:
            running.update((c.page, c.index) for c in placed)
    for (_, key), group in folded.items():
        placed = _same_place(group, tolerance)
        if len(placed) >= need and (key == "#page#" or _follows_pages(placed)):
            running.update((c.page, c.index) for c in placed)
    return running


def strip_running(pages: list[PageLayout], warnings: list[str] | None = None) -> list[dict]:
    """Remove running headers, footers and page numbers; return per-page metadata.

    When the removed lines add up to more than ``WARN_SHARE`` of the text, a
    warning saying how much went is appended to ``warnings``.
    """
    running = _running_lines(pages)
    total = sum(len(line.text) for page in pages for line in page.lines)
    removed = 0
    info = []
    for page in pages:
        entry: dict = {"page": page.number, "header": None, "footer": None, "number": None}
        mine = [i for i in range(len(page.lines)) if (page.number, i) in running]
        if len(mine) * 2 > len(page.lines) and len(page.lines) > 2:
            # Never most of a page: keep everything but a bare page number.
            mine = [i for i in mine if page_number_of(page.lines[i].text)]
        numbers: list[tuple[int, str]] = []
        keep = []
        for i, line in enumerate(page.lines):
            if i not in mine:
                keep.append(line)
                continue
            text = line.text
            removed += len(text)
            slot = "header" if i < _SLOTS else "footer"
            entry[slot] = f"{entry[slot]} | {text}" if entry[slot] else text
            numbers.append((0 if page_number_of(text) else 1 if slot == "footer" else 2, text))
        page.lines = keep
        # A bare page number beats a number in the footer, which beats one in the header.
        for _, text in sorted(numbers, key=lambda n: n[0]):
            entry["number"] = _number_in(text)
            if entry["number"]:
                break
        info.append(entry)
    if warnings is not None and total and removed > WARN_SHARE * total:
        warnings.append(f"running headers and footers removed: {removed} of {total} characters "
                        f"({removed / total:.0%}) on {len(pages)} pages")
    return info
