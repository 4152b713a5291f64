"""Footnotes from real producers' PDFs: LaTeX, WeasyPrint, Chromium, LibreOffice, Ghostscript.

The PDFs in tests/fixtures/pdf/producers/ and tests/devsets/pdf/samples/ were
made by tests/devsets/pdf/build.py (the full development corpus it rebuilds is
scored by tests/devsets/pdf/score.py); each ``NAME.truth.json`` holds the
notes put into the source, with their labels as printed, the URLs they print,
the producer and the markup (``producer/variant``). Notes a producer never
printed (WeasyPrint loses a footnote it moves on and on) are not in the truth.

The per-producer and per-markup floors below are the figures reached on these
samples (issue 13); a change that lowers one fails here.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import pytest
from pypdf import PdfReader
from rapidfuzz import fuzz

from extractors.pdf.extractor import PdfExtractor
from extractors.record import Hints

HERE = Path(__file__).parent
DIRS = [HERE / "fixtures" / "pdf" / "producers", HERE / "devsets" / "pdf" / "samples"]
PDFS = sorted(str(p.relative_to(HERE)) for d in DIRS for p in d.glob("*.pdf"))

# (precision, recall, URLs intact) reached on the samples; the issue asks for >= 0.97 / 0.97 / 0.98.
PRODUCER_FLOORS = {
    "latex": (1.0, 1.0, 1.0),
    "weasyprint": (1.0, 1.0, 1.0),
    "chromium": (1.0, 1.0, 1.0),
    "libreoffice": (1.0, 1.0, 1.0),
    "ghostscript": (1.0, 1.0, 1.0),
}
MARKUP_FLOOR = (1.0, 1.0, 1.0)  # every markup (producer/variant) on its own


def fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def truth_of(name: str) -> dict:
    return json.loads((HERE / name).with_suffix(".truth.json").read_text(encoding="utf-8"))


def pairs_of(truth: dict) -> list[tuple[str, str]]:
    notes = truth["notes"]
    return [tuple(p) for p in notes] if isinstance(notes, list) else list(notes.items())


def urls_of(truth: dict) -> list[tuple[str, str]]:
    return [(label, u) for label, us in truth["urls"].items() for u in us]


@lru_cache(maxsize=None)
def extracted(name: str):
    return PdfExtractor().extract((HERE / name).read_bytes(), Hints(filename=Path(name).name))


def judged(name: str) -> list[tuple[object, bool]]:
    """Each extracted note with whether it is right (label, text within ratio 95, a marker)."""
    unused = list(pairs_of(truth_of(name)))
    out = []
    for note in extracted(name).footnotes:
        match = next(((label, text) for label, text in unused
                      if label == note.label and fuzz.ratio(fold(note.text), fold(text)) >= 95), None)
        if match is not None:
            unused.remove(match)
        out.append((note, match is not None and bool(note.markers)))
    return out


def has_internal_links(name: str) -> bool:
    """Whether the PDF has ``/Link`` annotations that jump inside it (hyperref, LibreOffice)."""
    for page in PdfReader(HERE / name).pages:
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            action = annot.get("/A")
            if annot.get("/Subtype") == "/Link" and ("/Dest" in annot or (action and action.get("/S") == "/GoTo")):
                return True
    return False


def test_every_producer_is_covered():
    producers = {truth_of(name)["producer"] for name in PDFS}
    assert producers == set(PRODUCER_FLOORS)


@pytest.mark.parametrize("name", PDFS)
def test_footnotes_found_in_order_with_their_text_and_markers(name):
    pairs = pairs_of(truth_of(name))
    doc = extracted(name)
    got = [(n.label, fold(n.text)) for n in doc.footnotes]
    correct = sum(1 for (label, text), (want_label, want) in zip(got, pairs)
                  if label == want_label and fuzz.ratio(text, fold(want)) >= 95)
    precision, recall = correct / max(1, len(got)), correct / len(pairs)
    assert precision >= 0.97 and recall >= 0.97, (precision, recall, got[:5])
    assert all(n.markers for n in doc.footnotes)
    # Note text never stays in the body text.
    for note in doc.footnotes:
        assert fold(note.text)[:60] not in fold(doc.text)


@pytest.mark.parametrize("name", [n for n in PDFS if truth_of(n)["urls"]])
def test_printed_urls_come_out_whole(name):
    urls = urls_of(truth_of(name))
    notes = {n.label: fold(n.text) for n in extracted(name).footnotes}
    intact = sum(1 for label, u in urls if u in notes.get(label, ""))
    assert intact / len(urls) >= 0.98, [u for label, u in urls if u not in notes.get(label, "")]


def _figures(key: str) -> dict[str, tuple[float, float, float]]:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for name in PDFS:
        truth = truth_of(name)
        group = truth.get(key) or truth["producer"]
        notes = {n.label: fold(n.text) for n in extracted(name).footnotes}
        t = totals[group]
        verdicts = judged(name)
        t[0] += sum(ok for _, ok in verdicts)
        t[1] += len(verdicts)
        t[2] += len(pairs_of(truth))
        t[3] += sum(1 for label, u in urls_of(truth) if u in notes.get(label, ""))
        t[4] += len(urls_of(truth))
    return {g: (c / max(1, n), c / max(1, w), i / u if u else 1.0) for g, (c, n, w, i, u) in totals.items()}


def test_per_producer_floors_hold():
    figures = _figures("producer")
    assert set(figures) == set(PRODUCER_FLOORS)
    low = {p: f for p, f in figures.items() if any(a < b for a, b in zip(f, PRODUCER_FLOORS[p]))}
    assert not low, f"below the pinned floors (P, R, URLs): {low}"


def test_per_markup_floors_hold():
    figures = _figures("markup")
    assert len(figures) >= 15, sorted(figures)
    low = {m: f for m, f in figures.items() if any(a < b for a, b in zip(f, MARKUP_FLOOR))}
    assert not low, f"below the pinned floor (P, R, URLs): {low}"


@pytest.mark.parametrize("name", PDFS)
def test_confidence_is_one_only_where_a_link_confirms(name):
    """Notes tied by a /Link from marker to note carry 1.0; notes tied by geometry alone less; a wrong
    note never carries 1.0."""
    verdicts = judged(name)
    assert not [n.label for n, ok in verdicts if not ok and n.confidence >= 1.0]
    linked = has_internal_links(name)
    confidences = {n.confidence for n, _ in verdicts}
    if linked:
        assert confidences == {1.0}, (name, sorted(confidences))
    else:
        assert max(confidences) < 1.0, (name, sorted(confidences))
