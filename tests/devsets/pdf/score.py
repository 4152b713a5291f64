"""Footnote precision, recall and F1 per producer, and URL integrity, on the PDF dev corpus.

    python tests/devsets/pdf/build.py /tmp/archivist-devset-pdf     # once
    python tests/devsets/pdf/score.py /tmp/archivist-devset-pdf [-v]

A note is correct when its label is in the truth, its text matches the truth
(rapidfuzz ratio >= 95 on whitespace-folded text) and it has a marker in the
text. Precision = correct / notes extracted, recall = correct / notes put in.
A URL is intact when the truth's URL appears verbatim in the note extracted
for its label. ``-v`` lists the notes that miss. ``conf=1`` is the share of
notes extracted with confidence 1.0 (a link confirmed them), ``wrong@1`` the
notes that are wrong yet carry confidence 1.0 (should be 0).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

from rapidfuzz import fuzz

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from extractors.pdf.extractor import PdfExtractor  # noqa: E402
from extractors.record import Hints  # noqa: E402


def fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def score(pdf: Path, verbose: bool) -> dict:
    truth = json.loads(pdf.with_suffix(".truth.json").read_text(encoding="utf-8"))
    started = time.monotonic()
    doc = PdfExtractor().extract(pdf.read_bytes(), Hints(filename=pdf.name))
    seconds = time.monotonic() - started
    got = {n.label: n for n in doc.footnotes}
    pairs = truth["notes"] if isinstance(truth["notes"], list) else list(truth["notes"].items())
    unused = list(pairs)
    correct = sure = wrong_sure = 0
    for note in doc.footnotes:
        expected = next((t for label, t in unused if label == note.label
                         and fuzz.ratio(fold(note.text), fold(t)) >= 95), None)
        ok = expected is not None and bool(note.markers)
        if expected is not None:
            unused.remove((note.label, expected) if (note.label, expected) in unused else [note.label, expected])
        else:
            expected = next((t for label, t in unused if label == note.label), None)
        correct += ok
        sure += note.confidence >= 1.0
        wrong_sure += not ok and note.confidence >= 1.0
        if verbose and not ok:
            print(f"  {pdf.stem} note {note.label}: {fold(note.text)[:160]!r}\n    want {fold(expected or '')[:160]!r}"
                  f" markers={len(note.markers)}")
    if verbose:
        for label, text in unused:
            if label not in got:
                print(f"  {pdf.stem} note {label}: MISSING {text[:100]!r}")
    urls = [(label, u) for label, us in truth["urls"].items() for u in us]
    intact = sum(1 for label, u in urls if label in got and u in fold(got[label].text))
    if verbose:
        for label, u in urls:
            if label not in got or u not in fold(got[label].text):
                print(f"  {pdf.stem} url of note {label} broken: {u}")
    return {"producer": truth["producer"], "markup": truth.get("markup", truth["producer"]),
            "extracted": len(doc.footnotes), "truth": len(pairs),
            "correct": correct, "urls": len(urls), "intact": intact, "seconds": seconds,
            "sure": sure, "wrong_sure": wrong_sure}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", nargs="?", default="/tmp/archivist-devset-pdf")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    markups: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for pdf in sorted(Path(args.corpus).glob("*.pdf")):
        if not pdf.with_suffix(".truth.json").exists():
            continue
        result = score(pdf, args.verbose)
        p = result["correct"] / max(1, result["extracted"])
        r = result["correct"] / max(1, result["truth"])
        print(f"{pdf.stem:40s} P {p:.3f} R {r:.3f}  urls {result['intact']}/{result['urls']}  {result['seconds']:.2f}s")
        for key in ("extracted", "truth", "correct", "urls", "intact", "seconds", "sure", "wrong_sure"):
            totals[result["producer"]][key] += result[key]
            markups[result["markup"]][key] += result[key]
        totals[result["producer"]]["docs"] += 1
        markups[result["markup"]]["docs"] += 1
    for title, table in (("producer", totals), ("markup", markups)):
        print(f"\n{title:34s} {'P':>6s} {'R':>6s} {'F1':>6s} {'URLs':>6s}  notes  urls  docs  conf=1  wrong@1")
        for name, t in sorted(table.items()):
            p = t["correct"] / max(1, t["extracted"])
            r = t["correct"] / max(1, t["truth"])
            f1 = 2 * p * r / (p + r) if p + r else 0.0
            u = t["intact"] / t["urls"] if t["urls"] else 1.0
            print(f"{name:34s} {p:6.3f} {r:6.3f} {f1:6.3f} {u:6.3f}  {int(t['truth']):5d} {int(t['urls']):5d} "
                  f"{int(t['docs']):5d}  {t['sure'] / max(1, t['extracted']):6.3f}  {int(t['wrong_sure']):6d}")


if __name__ == "__main__":
    main()
