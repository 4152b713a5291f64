"""Footnote precision, recall and F1 per producer, and URL integrity, on the PDF dev corpus.

    python tests/devsets/pdf/build.py /tmp/archivist-devset-pdf     # once
    python tests/devsets/pdf/score.py /tmp/archivist-devset-pdf [-v]

A note is correct when its label is in the truth, its text matches the truth
(rapidfuzz ratio >= 95 on whitespace-folded text) and it has a marker in the
text. Precision = correct / notes extracted, recall = correct / notes put in.
A URL is intact when the truth's URL appears verbatim in the note extracted
for its label. ``-v`` lists the notes that miss.
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
    correct = 0
    for note in doc.footnotes:
        expected = next((t for label, t in unused if label == note.label
                         and fuzz.ratio(fold(note.text), fold(t)) >= 95), None)
        ok = expected is not None and bool(note.markers)
        if expected is not None:
            unused.remove((note.label, expected) if (note.label, expected) in unused else [note.label, expected])
        else:
            expected = next((t for label, t in unused if label == note.label), None)
        correct += ok
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
    return {"producer": truth["producer"], "extracted": len(doc.footnotes), "truth": len(pairs),
            "correct": correct, "urls": len(urls), "intact": intact, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", nargs="?", default="/tmp/archivist-devset-pdf")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for pdf in sorted(Path(args.corpus).glob("*.pdf")):
        if not pdf.with_suffix(".truth.json").exists():
            continue
        result = score(pdf, args.verbose)
        p = result["correct"] / max(1, result["extracted"])
        r = result["correct"] / max(1, result["truth"])
        print(f"{pdf.stem:40s} P {p:.3f} R {r:.3f}  urls {result['intact']}/{result['urls']}  {result['seconds']:.2f}s")
        for key in ("extracted", "truth", "correct", "urls", "intact", "seconds"):
            totals[result["producer"]][key] += result[key]
    print(f"\n{'producer':14s} {'P':>6s} {'R':>6s} {'F1':>6s} {'URLs':>6s}  notes  docs")
    for producer, t in sorted(totals.items()):
        p = t["correct"] / max(1, t["extracted"])
        r = t["correct"] / max(1, t["truth"])
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        u = t["intact"] / t["urls"] if t["urls"] else 1.0
        print(f"{producer:14s} {p:6.3f} {r:6.3f} {f1:6.3f} {u:6.3f}  {int(t['truth']):5d}")


if __name__ == "__main__":
    main()
