#!/usr/bin/env python3
"""Check that a PDF made from footnoted Markdown has real page-bottom footnotes.

Stdlib only; needs `pdftotext` (poppler-utils) on PATH.

Usage:  check_pdf_footnotes.py PDF PANDOC_MARKDOWN [--expect N]

PANDOC_MARKDOWN is the file that went into pandoc (footnotes as `[^N]: text`);
from it the check takes each note's opening words.  With `pdftotext
-bbox-layout` it then finds, for every note N:

* the footnote label: a line holding only "N", set smaller than body text;
* beside it, the note body, whose first words must match the note's opening;
* on the same page, ABOVE the label, the body reference: a word ending in N
  glued to text (e.g. "reparation.1") or a small raised "N" (or, when the
  footnote area of the anchor's page was full, on the previous page; reported).

So each note body must sit below the text that cites it, on the same page:
a footnote at the page bottom, not an endnote and not inline text.  Prints a
per-page summary; exit status 1 if any note fails.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

NOTE_DEF = re.compile(r"^\[\^(\d+)\]: (.*)$", re.M)
WORD = re.compile(r"[\w/.-]+", re.U)


def latin_words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9]+", text)


def opening(text: str, n: int = 3) -> list[str]:
    """The note's first n Latin-script words, stopping at the first word in
    another script (pdftotext reorders right-to-left runs)."""
    plain = re.sub(r"\]\([^)]*\)", "", text)          # drop link targets
    out: list[str] = []
    for w in plain.split():
        if re.search(r"[^\x00-\x7f“”‘’–—…]", w):
            break
        out.extend(latin_words(w))
    return out[:n] or latin_words(plain)[:1]


def pages(pdf: str):
    xml = subprocess.run(["pdftotext", "-bbox-layout", pdf, "-"], check=True,
                         capture_output=True).stdout.decode("utf-8")
    xml = re.sub(r'\sxmlns="[^"]+"', "", xml, count=1)
    root = ET.fromstring(xml)
    for page in root.iter("page"):
        lines = []
        for line in page.iter("line"):
            words = [(w.text or "", float(w.get("xMin")), float(w.get("yMin")), float(w.get("yMax")))
                     for w in line.iter("word")]
            if words:
                lines.append(words)
        yield float(page.get("height")), lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pdf")
    ap.add_argument("markdown")
    ap.add_argument("--expect", type=int)
    a = ap.parse_args(argv)
    with open(a.markdown, encoding="utf-8") as fh:
        notes = {int(n): opening(t) for n, t in NOTE_DEF.findall(fh.read())}
    found: dict[int, int] = {}
    problems: list[str] = []
    summary: list[str] = []
    flowed: list[str] = []
    prev_lines: list = []
    for pno, (height, lines) in enumerate(pages(a.pdf), start=1):
        heights = sorted(w[3] - w[2] for l in lines for w in l)
        body_h = heights[len(heights) // 2] if heights else 0
        labels = []
        for i, l in enumerate(lines):
            if len(l) == 1 and l[0][0].isdigit() and (l[0][3] - l[0][2]) < 0.8 * body_h:
                labels.append((int(l[0][0]), l[0]))
        page_labels = []
        for n, (_, x, y0, y1) in labels:
            if n not in notes:
                continue
            # the note body: the line that starts right of the label at (about) its height
            beside = [l for l in lines if abs(l[0][2] - y0) < 6 and l[0][1] > x and l[0][0] != str(n)]
            text_words = latin_words(" ".join(w[0] for w in beside[0])) if beside else []
            want = notes[n]
            ok_body = bool(text_words) and text_words[: len(want)] == want
            # the reference: above the label on this page
            glued = re.compile(rf"\D{n}$")
            ok_ref = any(
                (glued.search(w[0]) or (w[0] == str(n) and (w[3] - w[2]) < 0.8 * body_h))
                and w[3] <= y0 + 0.5
                for l in lines for w in l
                if not (w[1] == x and w[2] == y0)
            )
            if not ok_ref and any(glued.search(w[0]) or w[0] == str(n)
                                  for l in prev_lines for w in l):
                # Writer moves a note to the next page when the footnote area
                # of the anchor's page is full: still a footnote, not an endnote
                flowed.append(f"note {n}: reference on page {pno - 1}, note at bottom of page {pno}")
                ok_ref = True
            if n in found:
                problems.append(f"note {n}: label found twice (pages {found[n]} and {pno})")
            found[n] = pno
            if not ok_body:
                problems.append(f"note {n} (page {pno}): body starts {text_words[:4]!r}, expected {want!r}")
            if not ok_ref:
                problems.append(f"note {n} (page {pno}): no reference {n} above its footnote on the page")
            page_labels.append((n, y0 / height))
        prev_lines = lines
        if page_labels:
            summary.append(f"page {pno:3d}: notes {page_labels[0][0]}-{page_labels[-1][0]}, "
                           f"first at {page_labels[0][1]:.0%} of page height")
    missing = sorted(set(notes) - set(found))
    if missing:
        problems.append(f"notes with no footnote label in the PDF: {missing}")
    if a.expect is not None and len(found) != a.expect:
        problems.append(f"expected {a.expect} footnotes, found {len(found)}")
    print("\n".join(summary + flowed))
    print(f"check_pdf_footnotes: {len(found)} of {len(notes)} footnotes found at page bottoms"
          f" below their references")
    for p in problems:
        print(f"check_pdf_footnotes: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
