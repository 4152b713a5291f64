"""Right-to-left text in logical order.

PDFs draw glyphs in visual order, left to right. pypdf reverses each stretch
of right-to-left characters it meets inside one text run, which gets Arabic
and Hebrew letters right but reverses the numbers inside them ("۶۰" comes out
"۰۶") and leaves quotes, brackets and titles that span several runs in
scrambled order. Here a line with right-to-left characters is rebuilt in
visual order (runs left to right, pypdf's reversal undone) and converted back
to logical order with the Unicode bidirectional algorithm (python-bidi):

- in a document whose strong characters are mostly right to left, a line is
  one right-to-left paragraph;
- otherwise each right-to-left segment (from its first to its last
  right-to-left character, with no left-to-right letter inside) is converted
  on its own, so quotes and commas around it stay where the Latin text put
  them. Arabic-Indic and Persian digits belong to the segment; Western digits
  when inside it, or when they stand at its left edge followed by closing
  punctuation ('17 ,”' before the letters: the number and the quote that
  follow a right-to-left title take its direction); a bare number at the
  edge keeps its place (its logical side is ambiguous).
"""

from __future__ import annotations

import re
import unicodedata

from bidi import get_display

# The ranges pypdf treats as right to left (pypdf._utils.RTL_CHARACTER_RANGES).
_PYPDF_RTL_RE = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
# A number and closing punctuation just left of a right-to-left segment (visual order).
_TAIL_RE = re.compile(r"\d+(?:[.,/:]\d+)*\s*[,.;:”\"'’»«()\[\]]+\s*$")


def has_rtl(text: str) -> bool:
    """Whether ``text`` holds characters pypdf reorders as right to left."""
    return bool(_PYPDF_RTL_RE.search(text))


def pypdf_mode(text: str, rtl_mode: bool) -> bool:
    """pypdf's right-to-left state after emitting ``text`` (``rtl_mode``: the state before).

    pypdf builds a run by prepending characters while in right-to-left mode
    and appending them otherwise; it enters that mode at a right-to-left
    letter, leaves it at any other character that is not neutral (punctuation,
    spaces, Arabic-Indic and Persian digits are neutral), and emits a run at
    each switch. A run emitted in right-to-left mode is reversed visual order.
    """
    for char in text:
        if _is_pypdf_neutral(char):
            continue
        return bool(_PYPDF_RTL_RE.match(char))
    return rtl_mode


def _is_pypdf_neutral(char: str) -> bool:
    return char <= "\x2f" or "\x3a" <= char <= "\x40" or "\u0660" <= char <= "\u066d" \
        or "\u06f0" <= char <= "\u06f9" or "\u2000" <= char <= "\u206f" or "\u20a0" <= char <= "\u21ff"


def _kind(char: str) -> str:
    cls = unicodedata.bidirectional(char)
    if cls in ("R", "AL", "AN") or "\u06f0" <= char <= "\u06f9":
        return "R"
    return "L" if cls == "L" else "N"


def rtl_share(texts: list[str]) -> float:
    """Share of right-to-left characters among the strong characters of ``texts``."""
    counts = {"R": 0, "L": 0, "N": 0}
    for text in texts:
        for char in text:
            counts[_kind(char)] += 1
    strong = counts["R"] + counts["L"]
    return counts["R"] / strong if strong else 0.0


def visual_to_logical(visual: str, rtl_base: bool = False) -> str:
    """The logical order of a visual-order line (see the module docstring)."""
    if not has_rtl(visual):
        return visual
    if rtl_base:
        return get_display(visual, base_dir="R")
    kinds = [_kind(c) for c in visual]
    out: list[str] = []
    pos = 0
    i = 0
    n = len(visual)
    while i < n:
        if kinds[i] != "R":
            i += 1
            continue
        start = last = i
        while i < n and kinds[i] != "L":
            if kinds[i] == "R":
                last = i
            i += 1
        tail = _TAIL_RE.search(visual[pos:start])
        if tail:
            start = pos + tail.start()
        out.append(visual[pos:start])
        out.append(get_display(visual[start:last + 1], base_dir="R"))
        pos = last + 1
        i = last + 1
    out.append(visual[pos:])
    return "".join(out)
