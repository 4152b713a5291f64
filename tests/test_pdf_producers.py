"""Footnotes from real producers' PDFs: LaTeX, WeasyPrint, Chromium, LibreOffice, Ghostscript.

The PDFs in tests/fixtures/pdf/producers/ were made by tests/devsets/pdf/build.py
(the full development corpus it rebuilds is scored by tests/devsets/pdf/score.py);
each ``NAME.truth.json`` holds the notes put into the source, with their labels
as printed, and the URLs they print.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rapidfuzz import fuzz

from extractors.pdf.extractor import PdfExtractor
from extractors.record import Hints

PRODUCERS = Path(__file__).parent / "fixtures" / "pdf" / "producers"
PDFS = sorted(p.name for p in PRODUCERS.glob("*.pdf"))


def fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def truth_of(name: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    truth = json.loads((PRODUCERS / name).with_suffix(".truth.json").read_text(encoding="utf-8"))
    notes = truth["notes"]
    pairs = [tuple(p) for p in notes] if isinstance(notes, list) else list(notes.items())
    urls = [(label, u) for label, us in truth["urls"].items() for u in us]
    return pairs, urls


def test_every_producer_is_covered():
    producers = {json.loads(p.read_text(encoding="utf-8"))["producer"] for p in PRODUCERS.glob("*.truth.json")}
    assert producers == {"latex", "weasyprint", "chromium", "libreoffice", "ghostscript"}


@pytest.mark.parametrize("name", PDFS)
def test_footnotes_found_in_order_with_their_text_and_markers(name):
    pairs, _ = truth_of(name)
    doc = PdfExtractor().extract((PRODUCERS / name).read_bytes(), Hints(filename=name))
    got = [(n.label, fold(n.text)) for n in doc.footnotes]
    correct = sum(1 for (label, text), (want_label, want) in zip(got, pairs)
                  if label == want_label and fuzz.ratio(text, fold(want)) >= 95)
    precision, recall = correct / max(1, len(got)), correct / len(pairs)
    assert precision >= 0.97 and recall >= 0.97, (precision, recall, got[:5])
    assert all(n.markers for n in doc.footnotes)
    # Note text never stays in the body text.
    for note in doc.footnotes:
        assert fold(note.text)[:60] not in fold(doc.text)


@pytest.mark.parametrize("name", [n for n in PDFS if truth_of(n)[1]])
def test_printed_urls_come_out_whole(name):
    _, urls = truth_of(name)
    doc = PdfExtractor().extract((PRODUCERS / name).read_bytes(), Hints(filename=name))
    notes = {n.label: fold(n.text) for n in doc.footnotes}
    intact = sum(1 for label, u in urls if u in notes.get(label, ""))
    assert intact / len(urls) >= 0.98, [u for label, u in urls if u not in notes.get(label, "")]
