"""Running headers, footers and page numbers, found by repetition across pages.

The first and last two lines of every page are candidates. A candidate whose
text (digits folded, case folded) recurs at about the same height on at least
half of the pages (and on two or more) is running matter; so is a bare page
number ("7", "- 7 -", "Page 7 of 12", "vii") that recurs in the same band.
Running lines are removed from the page and reported as page metadata.
"""

from __future__ import annotations

import re
from collections import defaultdict

from extractors.pdf.layout import PageLayout

_PAGE_NUMBER_RE = re.compile(
    r"^(?:page|p\.|pag\.|seite|página)?\s*[-–—(\[]?\s*(\d{1,4}|[ivxlcdm]{1,7})\s*[-–—)\]]?"
    r"(?:\s*(?:of|/|de|von|sur)\s*\d{1,4})?$",
    re.I,
)
_SLOTS = 2


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\d+", "#", text.lower())).strip()


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


def strip_running(pages: list[PageLayout]) -> list[dict]:
    """Remove running headers, footers and page numbers; return per-page metadata."""
    with_text = [p for p in pages if p.lines]
    need = max(2, (len(with_text) + 1) // 2)
    seen: dict[tuple[str, str], set[int]] = defaultdict(set)
    heights: dict[tuple[str, str], list[float]] = defaultdict(list)
    for page in with_text:
        for band, lines in (("top", page.lines[:_SLOTS]), ("bottom", page.lines[-_SLOTS:])):
            for line in lines:
                text = line.text
                key = (band, "#page#" if page_number_of(text) else _key(text))
                seen[key].add(page.number)
                heights[key].append(line.y)
    running = set()
    for key, on_pages in seen.items():
        if len(on_pages) < need or not key[1]:
            continue
        ys = heights[key]
        if max(ys) - min(ys) <= 0.04 * max(p.height for p in with_text) or key[1] == "#page#":
            running.add(key)
    info = []
    for page in pages:
        entry: dict = {"page": page.number, "header": None, "footer": None, "number": None}
        numbers: list[tuple[int, str]] = []
        if running:
            keep = []
            last = len(page.lines) - _SLOTS
            for i, line in enumerate(page.lines):
                band = "top" if i < _SLOTS else ("bottom" if i >= last else None)
                text = line.text
                key = (band, "#page#" if page_number_of(text) else _key(text)) if band else None
                if key in running:
                    slot = "header" if band == "top" else "footer"
                    entry[slot] = f"{entry[slot]} | {text}" if entry[slot] else text
                    numbers.append((0 if page_number_of(text) else 1 if slot == "footer" else 2, text))
                else:
                    keep.append(line)
            page.lines = keep
        # A bare page number beats a number in the footer, which beats one in the header.
        for _, text in sorted(numbers, key=lambda n: n[0]):
            entry["number"] = _number_in(text)
            if entry["number"]:
                break
        info.append(entry)
    return info
