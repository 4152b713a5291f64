"""Footnote precision, recall and F1 per HTML markup, on the fixtures of tests/fixtures/html_footnotes.

Run: ``python tests/benchmarks/bench_html_footnotes.py [--baseline REV]``

Truth is ``tests/fixtures/html_footnotes/expected.json``: for each page, its markup and the
notes ``[label, text]`` a reader sees. A note counts as found when label and text (whitespace
normalised) are both exact. Also printed per markup: notes whose text stays in the body text
("leaked") and notes without a marker in the body ("unlinked"). The goal is P and R >= 0.97 for
every markup, no leaked and no unlinked note. The baseline, measured in the same run, is
``extractors/html/footnotes.py`` as committed at ``REV`` (default ``HEAD``; pass the commit
before the change once it is committed) swapped into the same extractor.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import extractors.html.extractor as html_extractor  # noqa: E402
from extractors.html.extractor import HtmlExtractor  # noqa: E402
from extractors.record import Hints  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "html_footnotes"


def normal(text: str) -> str:
    """Text with whitespace runs as single spaces."""
    return " ".join(text.split())


def measure() -> dict[str, collections.Counter]:
    """Per markup: true positives, found, expected, leaked and unlinked note counts."""
    truth = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
    extractor = HtmlExtractor()
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for name, page in truth.items():
        doc = extractor.extract((FIXTURES / name).read_bytes(), Hints())
        got = [(n.label, normal(n.text)) for n in doc.footnotes]
        want = [(label, normal(text)) for label, text in page["notes"]]
        c = counts[page["markup"]]
        c["tp"] += sum((collections.Counter(got) & collections.Counter(want)).values())
        c["found"] += len(got)
        c["expected"] += len(want)
        body = normal(doc.text)
        c["leaked"] += sum(1 for _, text in want if len(text) > 15 and text in body)
        c["unlinked"] += sum(1 for n in doc.footnotes if not n.markers)
    return counts


def committed_take_footnotes(rev: str):
    """``take_footnotes`` from ``extractors/html/footnotes.py`` as committed at ``rev``."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:extractors/html/footnotes.py"],
                            check=True, capture_output=True, text=True).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(source)
    spec = importlib.util.spec_from_file_location("baseline_footnotes", f.name)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)

    def take_footnotes(*args, **kwargs):
        notes = module.take_footnotes(*args, **kwargs)
        if not hasattr(notes, "confidence"):  # a baseline from before per-note confidences
            notes.confidence = {}
        return notes

    return take_footnotes


def scores(c: collections.Counter) -> tuple[float, float, float]:
    """Precision, recall and F1 from true positives, found and expected counts."""
    p = c["tp"] / c["found"] if c["found"] else 0.0
    r = c["tp"] / c["expected"] if c["expected"] else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="HEAD", help="git revision of the baseline footnotes.py")
    args = parser.parse_args()
    counts = measure()
    current = html_extractor.take_footnotes
    html_extractor.take_footnotes = committed_take_footnotes(args.baseline)
    try:
        base = measure()
    finally:
        html_extractor.take_footnotes = current
    print(f"{'markup':<22} {'P':>6} {'R':>6} {'F1':>6} {'notes':>6} {'leaked':>7} {'unlinked':>8}   "
          f"baseline {args.baseline}: P/R/F1")
    for markup, c in sorted(counts.items()):
        p, r, f = scores(c)
        bp, br, bf = scores(base[markup])
        print(f"{markup:<22} {p:6.3f} {r:6.3f} {f:6.3f} {c['expected']:6d} {c['leaked']:7d} {c['unlinked']:8d}   "
              f"{bp:.3f}/{br:.3f}/{bf:.3f}")


if __name__ == "__main__":
    main()
